/**
 * Handles `@name@domain` to actor URLs, through WebFinger, with the auditor's guarded client.
 */
import { classifyAddress } from '../../node/net/guard.ts';
import { FetchError, type HttpClient } from './http.ts';
import { ReadError } from './sources.ts';

/**
 * The actor URL of a handle `@name@domain` through WebFinger (RFC 7033): the `self` link of type
 * ActivityStreams. Plain http only where private addresses are allowed (loopback test nodes).
 */
export async function resolveHandle(client: HttpClient, handle: string): Promise<string> {
  const match = /^@?([^@\s]+)@([^@\s/]+)$/.exec(handle);
  if (match === null) throw new ReadError(`not a handle: ${handle}`);
  const [, name, domain] = match as unknown as [string, string, string];
  const host = new URL(`http://${domain}`).hostname;
  const local = host === 'localhost' || !['public', undefined].includes(classifyAddress(host));
  const scheme = client.allowPrivateAddress && local ? 'http' : 'https';
  const resource = encodeURIComponent(`acct:${name}@${domain}`);
  const url = `${scheme}://${domain}/.well-known/webfinger?resource=${resource}`;
  let answer: unknown;
  try {
    answer = await client.getJson(url, {
      accept: 'application/jrd+json, application/json',
      maxBytes: 64 * 1024,
    });
  } catch (error) {
    if (error instanceof FetchError) throw new ReadError(error.message);
    throw error;
  }
  const links = (answer as { links?: unknown } | null)?.links;
  const self = Array.isArray(links)
    ? links.find(
        (l) =>
          l?.rel === 'self' &&
          typeof l.href === 'string' &&
          /^application\/(activity\+json|ld\+json)/.test(String(l.type ?? '')),
      )
    : undefined;
  if (self === undefined) throw new ReadError(`WebFinger names no ActivityPub actor for ${handle}`);
  return self.href as string;
}
