/**
 * HTML built from tagged templates that escape every interpolated value unless it is already
 * `SafeHtml` (the result of another `html` template). No page is ever assembled by concatenating
 * user input, so escaping cannot be forgotten.
 */

/** Markup that is already escaped. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string);
}

type Interpolation =
  | SafeHtml
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The template tag: `html\`<p>${userText}</p>\``. Arrays are joined; null, undefined and false render nothing. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++)
    out += render(values[i] as Interpolation) + (strings[i + 1] as string);
  return new SafeHtml(out);
}

/**
 * A path with `params` percent-encoded into it: `href('/{actor}/ledger', { actor })`. URLs are
 * built this way, never by concatenating user input.
 */
export function path(
  template: string,
  params: Record<string, string | number>,
  query?: Record<string, string | number | undefined>,
): string {
  const base = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) search.set(k, String(v));
  const qs = search.toString();
  return qs ? `${base}?${qs}` : base;
}
