/**
 * Test wiring for the HTTP layer: a real node (LevelDB in a temp dir) with the real app, an
 * actor, admins and tokens, and helpers to carry cookies and CSRF tokens across `inject` calls.
 * Only the scrypt cost is lowered, to keep the suite quick.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type ConfigInput, loadConfig } from '../config.ts';
import { appFor, type NodeServices, openNode } from '../server.ts';

export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestNode {
  app: FastifyInstance;
  node: NodeServices;
  dir: string;
}

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function testNode(t: Teardown, overrides: ConfigInput = {}): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'cagnotte-app-'));
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, logLevel: 'silent', ...overrides } });
  const node = await openNode(config, { auth: { scrypt: TEST_SCRYPT } });
  const app = await appFor(node, false);
  t.teardown(async () => {
    await app.close();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { app, node, dir };
}

export interface Admin {
  id: string;
  token: string;
  password: string;
}

/** Creates actor `name` with admins alice (with an e-mail) and bob, each with an API token. */
export async function withActor(
  node: NodeServices,
  name = 'garden',
  currency = 'EUR',
): Promise<{ alice: Admin; bob: Admin }> {
  const handle = await node.actors.create({ name, host: false, currency });
  const make = async (username: string, email?: string): Promise<Admin> => {
    const password = `${username} has a long password`;
    const account = await node.auth.createAccount({
      actor: name,
      actorId: handle.info.id,
      username,
      password,
      ...(email ? { email } : {}),
    });
    return { id: account.id, token: await node.auth.createToken(account, 'test'), password };
  };
  return { alice: await make('alice', 'alice@example.org'), bob: await make('bob') };
}

/** `Set-Cookie` values of a response as a name → value map. */
export function cookiesOf(response: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const cookie of response.cookies as { name: string; value: string }[]) out[cookie.name] = cookie.value;
  return out;
}

/** The `_csrf` hidden field of an HTML form. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF field in the page');
  return match[1] as string;
}

export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A form body, url-encoded (repeated keys for arrays). */
export function form(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields))
    for (const value of Array.isArray(v) ? v : [v]) params.append(k, value);
  return params.toString();
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
