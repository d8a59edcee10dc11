/**
 * The host admin API as a Fastify plugin: member collectives with what the host holds for each
 * (and letting one go), applications and decisions, the countersign queue and reviews, payouts to make, pledges
 * awaiting money and confirmations (one, or a bank statement), the host's own ledger, and a CSV
 * of the host's accounts for its bookkeeper. Admin routes authenticate like node/routes/writes.ts
 * (API token, or session + CSRF), as an admin of the host actor. The terms and the witness's
 * evidence are public.
 *
 * Register with `app.register(hostRoutes, { hosts })` after the app's auth and CSRF plugins.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatAmount } from '../../protocol/money.ts';
import { requireAdmin } from '../auth/hooks.ts';
import { AppError } from '../errors.ts';
import { ACTOR_NAME, HASH } from '../routes/context.ts';
import { errorSchema } from '../routes/errors.ts';
import { formatCsv } from './csv.ts';
import type { HostService } from './service.ts';
import type { HostTransport } from './transport.ts';
import { letGo } from './transport-membership.ts';

/** The hosts this node serves, by actor name. */
export interface HostDirectory {
  get(name: string): Promise<HostService | undefined>;
}

const params = {
  type: 'object',
  required: ['actor'],
  additionalProperties: false,
  properties: { actor: ACTOR_NAME },
} as const;
const anything = { type: 'object', additionalProperties: true } as const;
const list = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: anything } },
} as const;
const responses = (ok: object) => ({ 200: ok, '4xx': errorSchema, '5xx': errorSchema }) as const;
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];
const URL_FIELD = { type: 'string', maxLength: 2000, pattern: '^https?://[^\\s]+$' } as const;
const TEXT = (max: number) => ({ type: 'string', minLength: 1, maxLength: max, pattern: '\\S' }) as const;

async function hostOf(hosts: HostDirectory, request: FastifyRequest): Promise<HostService> {
  const name = (request.params as { actor: string }).actor;
  const host = await hosts.get(name);
  if (host === undefined) throw new AppError('HOST_NOT_FOUND', undefined, { actor: name });
  return host;
}

function by(request: FastifyRequest): string {
  return request.principal?.accountId ?? 'unknown';
}

/** The plugin. */
export async function hostRoutes(
  app: FastifyInstance,
  options: { hosts: HostDirectory; transport?: HostTransport },
): Promise<void> {
  const { hosts, transport } = options;
  // With a transport (a federated node), each decision also sends its signed answer to the collective.
  const actorOf = (request: FastifyRequest) => (request.params as { actor: string }).actor;
  const admin = requireAdmin(app);
  const adminRoute = (summary: string, extra: Record<string, unknown> = {}, ok: object = list) => ({
    preHandler: admin,
    schema: { tags: ['host'], summary, security, params, response: responses(ok), ...extra },
  });

  app.get(
    '/api/hosts/:actor/terms',
    {
      schema: {
        tags: ['host'],
        summary: "The host's published terms",
        params,
        response: responses(anything),
      },
    },
    async (request) => {
      const { autoLimitMinor: _a, twoAdminMinor: _b, ...terms } = (await hostOf(hosts, request)).core.terms;
      return { ...terms, hostKey: (await hostOf(hosts, request)).core.hostKey() };
    },
  );

  app.get(
    '/api/hosts/:actor/evidence',
    {
      schema: {
        tags: ['host'],
        summary: 'Conflicting checkpoints the witness kept',
        params,
        response: responses(list),
      },
    },
    async (request) => ({
      items: await (await hostOf(hosts, request)).witness.evidence(),
    }),
  );

  app.get(
    '/api/hosts/:actor/members',
    adminRoute('Member collectives and what the host holds for each'),
    async (request) => {
      const host = await hostOf(hosts, request);
      const currency = host.core.terms.currency;
      const items = [];
      for (const member of await host.applications.members()) {
        const books = await host.core.books(member.collective);
        const held = await host.core.held(member.collective);
        items.push({
          ...member,
          received: formatAmount(BigInt(books.received), currency),
          fees: formatAmount(BigInt(books.fees), currency),
          paid: formatAmount(BigInt(books.paid), currency),
          held: formatAmount(held < 0n ? 0n : held, currency),
        });
      }
      return { items };
    },
  );

  app.post(
    '/api/hosts/:actor/members/:collective/leave',
    adminRoute(
      'Let a member go: records MemberLeft and sends it (Leave) to the collective',
      {
        params: {
          type: 'object',
          required: ['actor', 'collective'],
          additionalProperties: false,
          properties: { actor: ACTOR_NAME, collective: URL_FIELD },
        },
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { reason: TEXT(2000) },
        },
      },
      anything,
    ),
    async (request) => {
      const { collective } = request.params as { collective: string };
      const reason = (request.body as { reason?: string } | null)?.reason;
      const input = { collective, by: by(request), ...(reason === undefined ? {} : { reason }) };
      if (transport !== undefined) {
        const { member, entry } = await letGo(transport, actorOf(request), input);
        return { member, seq: entry.seq, leafHash: entry.leafHash, entry: entry.entry };
      }
      const host = await hostOf(hosts, request);
      const member = await host.applications.leave(collective, input.by, reason);
      const entry = await host.applications.leftEntry(collective);
      return { member, seq: entry?.seq, leafHash: entry?.leafHash, entry: entry?.entry };
    },
  );

  const status = (values: string[]) => ({
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { status: { type: 'string', enum: values } },
    },
  });

  app.get(
    '/api/hosts/:actor/applications',
    adminRoute('Applications', status(['pending', 'accepted', 'rejected'])),
    async (request) => {
      const query = request.query as { status?: 'pending' | 'accepted' | 'rejected' };
      return { items: await (await hostOf(hosts, request)).applications.list(query.status) };
    },
  );

  app.post(
    '/api/hosts/:actor/applications/:id/decision',
    adminRoute(
      'Accept or reject an application; answers the signed membership',
      {
        params: {
          type: 'object',
          required: ['actor', 'id'],
          additionalProperties: false,
          properties: { actor: ACTOR_NAME, id: HASH },
        },
        body: {
          type: 'object',
          required: ['decision'],
          additionalProperties: false,
          properties: { decision: { enum: ['accepted', 'rejected'] }, reason: TEXT(2000) },
        },
      },
      anything,
    ),
    async (request) => {
      const { id } = request.params as { id: string };
      const input = request.body as { decision: 'accepted' | 'rejected'; reason?: string };
      if (transport !== undefined)
        return transport.decide(actorOf(request), id, input.decision, by(request), input.reason);
      return (await hostOf(hosts, request)).applications.decide(
        id,
        input.decision,
        by(request),
        input.reason,
      );
    },
  );

  app.get(
    '/api/hosts/:actor/countersign',
    adminRoute('The countersign queue (expenses waiting for a host admin)'),
    async (request) => ({
      items: await (await hostOf(hosts, request)).countersigning.list('review'),
    }),
  );

  app.post(
    '/api/hosts/:actor/countersign/review',
    adminRoute(
      'Approve or refuse an expense in the queue',
      {
        body: {
          type: 'object',
          required: ['collective', 'expense', 'approve'],
          additionalProperties: false,
          properties: {
            collective: URL_FIELD,
            expense: HASH,
            approve: { type: 'boolean' },
            reason: TEXT(2000),
          },
        },
      },
      anything,
    ),
    async (request) => {
      const input = request.body as {
        collective: string;
        expense: string;
        approve: boolean;
        reason?: string;
      };
      if (transport !== undefined) return transport.review(actorOf(request), { ...input, by: by(request) });
      return (await hostOf(hosts, request)).countersigning.review({ ...input, by: by(request) });
    },
  );

  app.get('/api/hosts/:actor/payouts', adminRoute('Countersigned expenses to pay'), async (request) => ({
    items: await (await hostOf(hosts, request)).countersigning.list('countersigned'),
  }));

  app.post(
    '/api/hosts/:actor/payouts',
    adminRoute(
      'Mark a countersigned expense paid; answers the signed payout record',
      {
        body: {
          type: 'object',
          required: ['collective', 'expense', 'payoutReference'],
          additionalProperties: false,
          properties: { collective: URL_FIELD, expense: HASH, payoutReference: TEXT(200) },
        },
      },
      anything,
    ),
    async (request) => {
      const input = request.body as { collective: string; expense: string; payoutReference: string };
      if (transport !== undefined) return transport.pay(actorOf(request), { ...input, by: by(request) });
      return (await hostOf(hosts, request)).countersigning.pay({ ...input, by: by(request) });
    },
  );

  app.get(
    '/api/hosts/:actor/pledges',
    adminRoute('Pledges', status(['awaiting', 'received'])),
    async (request) => {
      const query = request.query as { status?: 'awaiting' | 'received' };
      return { items: await (await hostOf(hosts, request)).funds.list(query.status) };
    },
  );

  app.post(
    '/api/hosts/:actor/pledges/confirm',
    adminRoute(
      'Confirm money received for a pledge; answers the signed receipt',
      {
        body: {
          type: 'object',
          required: ['reference', 'amount'],
          additionalProperties: false,
          properties: { reference: TEXT(64), amount: { type: 'string', minLength: 1, maxLength: 32 } },
        },
      },
      anything,
    ),
    async (request) => {
      const input = request.body as { reference: string; amount: string };
      if (transport !== undefined) return transport.confirm(actorOf(request), { ...input, by: by(request) });
      return (await hostOf(hosts, request)).funds.confirm({ ...input, by: by(request) });
    },
  );

  app.post(
    '/api/hosts/:actor/statements',
    adminRoute(
      'Import a bank statement (CSV) and confirm the lines that match a pledge',
      {
        body: {
          type: 'object',
          required: ['csv', 'mapping'],
          additionalProperties: false,
          properties: {
            csv: { type: 'string', minLength: 1, maxLength: 200_000 },
            mapping: {
              type: 'object',
              required: ['amount'],
              additionalProperties: false,
              properties: Object.fromEntries(
                ['amount', 'reference', 'description', 'date', 'counterparty'].map((k) => [k, TEXT(200)]),
              ),
            },
          },
        },
      },
      anything,
    ),
    async (request) => {
      const input = request.body as { csv: string; mapping: { amount: string } };
      const result = await (await hostOf(hosts, request)).funds.importStatement(
        input.csv,
        input.mapping,
        by(request),
      );
      for (const confirmed of transport === undefined ? [] : result.confirmed)
        await transport?.sendReceipt(actorOf(request), confirmed);
      return result;
    },
  );

  app.get(
    '/api/hosts/:actor/accounts.csv',
    adminRoute('The host ledger money movements as CSV', {}, { type: 'string' }),
    async (request, reply) => {
      const host = await hostOf(hosts, request);
      const rows: (string | number)[][] = [
        ['seq', 'date', 'direction', 'collective', 'amount', 'currency', 'reference', 'expense', 'leafHash'],
      ];
      let cursor: string | undefined;
      do {
        const page = await host.core.ledger.page({
          order: 'oldest',
          limit: 500,
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const record of page.items) {
          const kind = record.entry.kind;
          if (kind !== 'FundsReceived' && kind !== 'PayoutMade') continue;
          const e = record.entry as unknown as Record<string, string>;
          rows.push([
            record.seq,
            e.published ?? '',
            kind === 'FundsReceived' ? 'in' : 'out',
            e.collective ?? '',
            e.amount ?? '',
            e.currency ?? '',
            e.reference ?? '',
            e.expense ?? '',
            record.leafHash,
          ]);
        }
        cursor = page.next;
      } while (cursor !== undefined);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="accounts.csv"')
        .send(formatCsv(rows));
    },
  );
}
