/**
 * Handles `@name@domain` to actor URLs, through WebFinger, with the auditor's guarded client.
 */

import { classifyAddress } from '../../node/net/guard.ts';
import { actorLinkFromJrd, parseHandle, webfingerUrl } from '../../protocol/audit/webfinger.ts';
import { FetchError, type HttpClient } from './http.ts';
import { ReadError } from './sources.ts';

/**
 * The actor URL of a handle `@name@domain` through WebFinger (RFC 7033): the `self` link of type
 * ActivityStreams. Plain http only where private addresses are allowed (loopback test nodes).
 */
export async function resolveHandle(client: HttpClient, handle: string): Promise<string> {
  const parsed = parseHandle(handle);
  if (parsed === undefined) throw new ReadError(`not a handle: ${handle}`);
  const { name, domain } = parsed;
  const host = new URL(`http://${domain}`).hostname;
  const local = host === 'localhost' || !['public', undefined].includes(classifyAddress(host));
  const scheme = client.allowPrivateAddress && local ? 'http' : 'https';
  let answer: unknown;
  try {
    answer = await client.getJson(webfingerUrl(name, domain, scheme), {
      accept: 'application/jrd+json, application/json',
      maxBytes: 64 * 1024,
    });
  } catch (error) {
    if (error instanceof FetchError) throw new ReadError(error.message);
    throw error;
  }
  const actor = actorLinkFromJrd(answer);
  if (actor === undefined) throw new ReadError(`WebFinger names no ActivityPub actor for ${handle}`);
  return actor;
}
