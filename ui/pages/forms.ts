/** Form fragments shared by pages; every value is escaped by `html`. */
import { html, type SafeHtml } from '../html.ts';

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export function errorBox(message: string | undefined): SafeHtml {
  return message ? html`<p class="error" role="alert">${message}</p>` : html``;
}

export function field(
  label: string,
  name: string,
  options: { type?: string; value?: string; required?: boolean; autocomplete?: string; hint?: string } = {},
): SafeHtml {
  return html`<label for="${name}">${label}</label>
<input id="${name}" name="${name}" type="${options.type ?? 'text'}" value="${options.value ?? ''}"${options.required ? html` required` : ''}${options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ''}>
${options.hint ? html`<small class="muted">${options.hint}</small>` : ''}`;
}
