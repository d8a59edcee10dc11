/**
 * The pure parts of resolving a handle `@name@domain` through WebFinger (RFC 7033), shared by the
 * CLI (scripts/verify/handle.ts) and the audit page (ui/audit/source.ts); each fetches its own way.
 */

/** A handle's parts. */
export interface Handle {
  name: string;
  domain: string;
}

/**
 * `@name@domain` (the leading `@` optional) split in its parts; undefined when the text is not a
 * handle. Neither part may hold a space, an `@` or a `/` (an acct URI's parts hold no slash).
 */
export function parseHandle(text: string): Handle | undefined {
  const match = /^@?([^@\s/]+)@([^@\s/]+)$/.exec(text);
  if (match === null) return undefined;
  const [, name, domain] = match as unknown as [string, string, string];
  return { name, domain };
}

/** The WebFinger query for the account `name@domain`. */
export function webfingerUrl(name: string, domain: string, scheme: 'http' | 'https'): string {
  const resource = encodeURIComponent(`acct:${name}@${domain}`);
  return `${scheme}://${domain}/.well-known/webfinger?resource=${resource}`;
}

/**
 * The actor URL a WebFinger answer (a JRD, untrusted JSON) names: the href of its `self` link of
 * an ActivityStreams type; undefined when it names none.
 */
export function actorLinkFromJrd(jrd: unknown): string | undefined {
  const links = (jrd as { links?: unknown } | null)?.links;
  if (!Array.isArray(links)) return undefined;
  const self = links.find(
    (l) =>
      l?.rel === 'self' &&
      typeof l.href === 'string' &&
      /^application\/(activity\+json|ld\+json)/.test(String(l.type ?? '')),
  );
  return self === undefined ? undefined : (self.href as string);
}
