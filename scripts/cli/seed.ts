/**
 * `seed`: appends N realistic entries (contributions, expenses filed then approved or rejected,
 * updates, events) through the node's own HTTP routes: over the network with `--url`, or offline
 * into a data directory through the same app with `inject`. It prints how many were acknowledged.
 * Choices come from a seeded generator, so a run can be repeated.
 */
import type { FastifyInstance } from 'fastify';
import { appFor, type NodeServices, openNode } from '../../node/server.ts';
import {
  CliError,
  config,
  explainOpenError,
  type Output,
  parse,
  positiveInt,
  requireDatabase,
} from './common.ts';

interface Call {
  method: 'POST';
  path: string;
  body: object;
  /** Sent with the admin token (else as a member of the public). */
  admin: boolean;
}

type Send = (call: Call) => Promise<{ status: number; json: Record<string, unknown> }>;

/** Mulberry32: small, seedable, good enough to pick demo data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PEOPLE = [
  'Amina',
  'Bram',
  'Chloé',
  'Dries',
  'Elif',
  'Fatou',
  'Greet',
  'Hugo',
  'Inès',
  'Jonas',
  'Katrien',
  'Lucas',
];
const SPENDING = [
  ['Seeds and bulbs', 'receipt', 'Tuinshop Flora'],
  ['Rent of the hall', 'invoice', 'Maison de quartier'],
  ['Printing flyers', 'invoice', 'Copy Center Ixelles'],
  ['Tools for the work day', 'receipt', 'Brico'],
  ['Neighbourhood meal', 'receipt', 'Épicerie du coin'],
  ['Youth workshop grant', 'grant', 'Atelier Jeunes'],
] as const;
const MESSAGES = [
  'For the garden!',
  'Keep it up',
  'Monthly support',
  'Thanks for the meal',
  'Bonne continuation',
];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

function cents(rand: () => number, min: number, max: number): string {
  const value = Math.round((min + rand() * (max - min)) * 100);
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;
}

/** Appends `count` entries; returns how many the node acknowledged and how many it refused. */
export async function seedEntries(
  send: Send,
  actor: string,
  count: number,
  seed: number,
): Promise<{ acknowledged: number; refused: number; byStatus: Record<number, number> }> {
  const rand = random(seed);
  const pending: string[] = [];
  let acknowledged = 0;
  let refused = 0;
  const byStatus: Record<number, number> = {};
  const base = `/api/actors/${encodeURIComponent(actor)}`;
  for (let i = 0; i < count; i++) {
    let call: Call;
    const roll = rand();
    const day = `2026-${String(1 + Math.floor(rand() * 11)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`;
    if (pending.length > 0 && roll < 0.25) {
      const hash = pending.shift() as string;
      call =
        rand() < 0.8
          ? {
              method: 'POST',
              path: `${base}/expenses/${hash}/approve`,
              body: { comment: 'Approved at the meeting' },
              admin: true,
            }
          : {
              method: 'POST',
              path: `${base}/expenses/${hash}/reject`,
              body: { comment: 'Not within our budget' },
              admin: true,
            };
    } else if (roll < 0.6) {
      const anonymous = rand() < 0.2;
      call = {
        method: 'POST',
        path: `${base}/contributions`,
        body: {
          amount: cents(rand, 5, 150),
          ...(anonymous ? {} : { contributor: pick(rand, PEOPLE) }),
          ...(rand() < 0.4 ? { message: pick(rand, MESSAGES) } : {}),
        },
        admin: true,
      };
    } else if (roll < 0.85) {
      const [title, type, payee] = pick(rand, SPENDING);
      const items = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, k) => ({
        description: `${title}, part ${k + 1}`,
        amount: cents(rand, 3, 60),
        date: day,
      }));
      call = {
        method: 'POST',
        path: `${base}/expenses`,
        body: {
          title,
          type,
          payee,
          items,
          payout: `BE${String(Math.floor(rand() * 1e14)).padStart(14, '0')}`,
        },
        admin: false,
      };
    } else if (roll < 0.95) {
      call = {
        method: 'POST',
        path: `${base}/updates`,
        body: {
          title: `News ${i + 1}`,
          body: `${pick(rand, PEOPLE)} reports on the ${pick(rand, SPENDING)[0].toLowerCase()}.`,
        },
        admin: true,
      };
    } else {
      call = {
        method: 'POST',
        path: `${base}/events`,
        body: {
          name: 'Work day',
          startTime: `${day}T09:00:00Z`,
          endTime: `${day}T15:00:00Z`,
          timeZone: 'Europe/Brussels',
          place: 'The community garden',
          description: 'Bring gloves and a friend.',
        },
        admin: true,
      };
    }
    const response = await send(call);
    byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
    if (response.status === 201) {
      acknowledged++;
      const expense = response.json.expense as { leafHash?: string } | undefined;
      if (expense?.leafHash) pending.push(expense.leafHash);
    } else {
      refused++;
    }
  }
  return { acknowledged, refused, byStatus };
}

function injectSender(app: FastifyInstance, token: string): Send {
  return async (call) => {
    const response = await app.inject({
      method: call.method,
      url: call.path,
      payload: call.body,
      headers: call.admin ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: response.statusCode, json: response.json() };
  };
}

function fetchSender(url: string, token: string): Send {
  return async (call) => {
    const response = await fetch(new URL(call.path, url), {
      method: call.method,
      headers: {
        'content-type': 'application/json',
        ...(call.admin ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(call.body),
    });
    return {
      status: response.status,
      json: (await response.json().catch(() => ({}))) as Record<string, unknown>,
    };
  };
}

export async function seed(args: string[], io: Output): Promise<void> {
  const { values } = parse(
    'seed',
    args,
    {
      data: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      actor: { type: 'string' },
      entries: { type: 'string' },
      seed: { type: 'string' },
      config: { type: 'string' },
    },
    ['actor', 'entries'],
  );
  const count = positiveInt('seed', 'entries', values.entries);
  const seedValue = values.seed === undefined ? 1 : positiveInt('seed', 'seed', values.seed, 2 ** 31);
  const actor = values.actor as string;
  if ((values.data === undefined) === (values.url === undefined))
    throw new CliError('seed: give either --data DIR or --url URL');
  let result: Awaited<ReturnType<typeof seedEntries>>;
  if (values.url !== undefined) {
    if (!values.token) throw new CliError('seed: --url needs --token (an admin API token of the actor)');
    try {
      new URL(values.url as string);
    } catch {
      throw new CliError(`seed: --url ${values.url} is not a URL`);
    }
    result = await seedEntries(
      fetchSender(values.url as string, values.token as string),
      actor,
      count,
      seedValue,
    );
  } else {
    // Offline: the same routes, in process, with public limits lifted (this is the operator).
    const cfg = config({
      dataDir: values.data as string,
      logLevel: 'silent',
      rateLimits: { publicExpense: { max: 1_000_000 } },
      ...(values.config ? { configFile: values.config as string } : {}),
    });
    requireDatabase(cfg.dataDir);
    const node: NodeServices = await openNode(cfg).catch((error: unknown) =>
      explainOpenError(error, cfg.dataDir),
    );
    try {
      const admins = await node.auth.listAccounts(actor);
      if (!(await node.actors.get(actor)))
        throw new CliError(`seed: no actor named ${actor} in ${cfg.dataDir}`, 1);
      const admin = admins[0];
      if (!admin) throw new CliError(`seed: ${actor} has no admin; add one with \`cagnotte admin add\``, 1);
      const token = await node.auth.createToken(admin, 'seed');
      const app = await appFor(node, false);
      try {
        result = await seedEntries(injectSender(app, token), actor, count, seedValue);
      } finally {
        await node.auth.deleteToken(token);
        await app.close();
      }
    } finally {
      await node.close();
    }
  }
  io.out(`acknowledged ${result.acknowledged} of ${count} entries (${JSON.stringify(result.byStatus)})`);
  if (result.acknowledged === 0) throw new CliError('seed: the node acknowledged no entry', 1);
}
