/**
 * Public reads of a ledger: actors, pages of entries (cursor based), one entry by seq or leaf
 * hash, its exact leaf bytes, balance and budget summary, expenses by state, the latest signed
 * checkpoint (C2SP text) and RFC 9162 inclusion and consistency proofs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ExpenseState } from '../../protocol/fold.ts';
import { AppError } from '../errors.ts';
import type { EntryRecord } from '../ledger/types.ts';
import { ACTOR_NAME, actorOf, HASH, type RouteContext, SEQ } from './context.ts';
import { errorSchema } from './errors.ts';
import {
  balanceSchema,
  budgetSchema,
  EXPENSE_STATES,
  expenseStatusSchema,
  readBalance,
  readBudget,
  readExpenses,
} from './reads.ts';

const actorParams = {
  type: 'object',
  required: ['actor'],
  additionalProperties: false,
  properties: { actor: ACTOR_NAME },
} as const;

const errors = { '4xx': errorSchema, '5xx': errorSchema } as const;

/** An entry as the API returns it. */
export const entryRecordSchema = {
  type: 'object',
  required: ['seq', 'leafHash', 'entry'],
  properties: {
    seq: { type: 'integer' },
    leafHash: { type: 'string' },
    entry: {
      type: 'object',
      additionalProperties: true,
      description: 'The signed entry (ActivityStreams Note).',
    },
  },
} as const;

const actorSchema = {
  type: 'object',
  required: ['name', 'id', 'type', 'currency'],
  properties: {
    name: { type: 'string' },
    id: { type: 'string' },
    type: { type: 'string', enum: ['Group', 'Organization'] },
    currency: { type: 'string' },
    size: { type: 'integer' },
    rootHash: { type: 'string' },
  },
} as const;

/**
 * Every route here is a public read: any page may read it, the in-browser auditor of another
 * node included (ui/audit). No credentials ride on such a request (`*` forbids them).
 */
async function allowAnyOrigin(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('access-control-allow-origin', '*');
}

export function recordJson(record: EntryRecord) {
  return { seq: record.seq, leafHash: record.leafHash, entry: record.entry };
}

export function ledgerRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get(
    '/api/actors',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'The collectives and hosts on this node',
        response: {
          200: { type: 'object', properties: { actors: { type: 'array', items: actorSchema } } },
          ...errors,
        },
      },
    },
    async () => ({ actors: await context.actors.list() }),
  );

  app.get(
    '/api/actors/:actor',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'One actor and the head of its ledger',
        params: actorParams,
        response: { 200: actorSchema, ...errors },
      },
    },
    async (request) => {
      const { info, ledger } = await actorOf(context, request);
      const head = ledger.head();
      return { ...info, size: head.size, rootHash: head.rootHash };
    },
  );

  app.get(
    '/api/actors/:actor/entries',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'A page of entries, newest first by default; follow `next` for the next page',
        params: actorParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            order: { type: 'string', enum: ['newest', 'oldest'], default: 'newest' },
            cursor: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: entryRecordSchema }, next: { type: 'string' } },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const { ledger } = await actorOf(context, request);
      const query = request.query as { order: 'newest' | 'oldest'; cursor?: string; limit: number };
      const page = await ledger.page(query);
      return { items: page.items.map(recordJson), ...(page.next !== undefined ? { next: page.next } : {}) };
    },
  );

  app.get(
    '/api/actors/:actor/entries/:seq',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'The entry with this sequence number',
        params: { ...actorParams, required: ['actor', 'seq'], properties: { actor: ACTOR_NAME, seq: SEQ } },
        response: { 200: entryRecordSchema, ...errors },
      },
    },
    async (request) => {
      const { ledger } = await actorOf(context, request);
      const record = await ledger.get((request.params as { seq: number }).seq);
      if (!record) throw new AppError('ENTRY_NOT_FOUND');
      return recordJson(record);
    },
  );

  app.get(
    '/api/actors/:actor/entries/:seq/leaf',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'The exact signed bytes of the entry (its leaf), as hashed into the log',
        params: { ...actorParams, required: ['actor', 'seq'], properties: { actor: ACTOR_NAME, seq: SEQ } },
        response: { 200: { content: { 'application/json': { schema: { type: 'object' } } } }, ...errors },
      },
    },
    async (request, reply) => {
      const { ledger } = await actorOf(context, request);
      const record = await ledger.get((request.params as { seq: number }).seq);
      if (!record) throw new AppError('ENTRY_NOT_FOUND');
      return reply.type('application/json').send(Buffer.from(record.leaf));
    },
  );

  app.get(
    '/api/actors/:actor/hashes/:hash',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'The entry with this leaf hash (lowercase hex SHA-256(0x00 || leaf))',
        params: {
          ...actorParams,
          required: ['actor', 'hash'],
          properties: { actor: ACTOR_NAME, hash: HASH },
        },
        response: { 200: entryRecordSchema, ...errors },
      },
    },
    async (request) => {
      const { ledger } = await actorOf(context, request);
      const record = await ledger.getByHash((request.params as { hash: string }).hash);
      if (!record) throw new AppError('ENTRY_NOT_FOUND');
      return recordJson(record);
    },
  );

  app.get(
    '/api/actors/:actor/balance',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'The balance: contributions and transfers in, less payouts, refunds, fees and transfers out',
        params: actorParams,
        response: { 200: balanceSchema, ...errors },
      },
    },
    async (request) => readBalance(await actorOf(context, request)),
  );

  app.get(
    '/api/actors/:actor/budget',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'Budget summary: income and spending by kind and month, expenses per state',
        params: actorParams,
        response: { 200: budgetSchema, ...errors },
      },
    },
    async (request) => readBudget(await actorOf(context, request)),
  );

  app.get(
    '/api/actors/:actor/expenses',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['expenses'],
        summary: 'Expenses in one state, newest filed first; follow `next` for more',
        params: actorParams,
        querystring: {
          type: 'object',
          required: ['state'],
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: EXPENSE_STATES },
            order: { type: 'string', enum: ['newest', 'oldest'], default: 'newest' },
            cursor: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: expenseStatusSchema }, next: { type: 'string' } },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const handle = await actorOf(context, request);
      const query = request.query as {
        state: ExpenseState;
        order: 'newest' | 'oldest';
        cursor?: string;
        limit: number;
      };
      return readExpenses(handle, query);
    },
  );

  app.get(
    '/api/actors/:actor/checkpoint',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'The latest signed checkpoint (C2SP tlog-checkpoint signed note)',
        params: actorParams,
        response: { 200: { content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors },
      },
    },
    async (request, reply) => {
      const { ledger } = await actorOf(context, request);
      const checkpoint = ledger.checkpoint();
      if (!checkpoint) throw new AppError('CHECKPOINT_NOT_FOUND');
      return reply.type('text/plain; charset=utf-8').send(checkpoint.note);
    },
  );

  app.get(
    '/api/actors/:actor/proofs/inclusion',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'RFC 9162 inclusion proof of entry `seq` in the tree of `size` entries (default: all)',
        params: actorParams,
        querystring: {
          type: 'object',
          required: ['seq'],
          additionalProperties: false,
          properties: { seq: SEQ, size: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
        },
        response: {
          200: {
            type: 'object',
            required: ['seq', 'size', 'leafHash', 'hashes'],
            properties: {
              seq: { type: 'integer' },
              size: { type: 'integer' },
              leafHash: { type: 'string' },
              rootHash: { type: 'string' },
              hashes: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const { ledger } = await actorOf(context, request);
      const { seq, size } = request.query as { seq: number; size?: number };
      const proof = await ledger.inclusionProof(seq, size);
      return { ...proof, rootHash: await ledger.rootAt(proof.size) };
    },
  );

  app.get(
    '/api/actors/:actor/proofs/consistency',
    {
      onRequest: allowAnyOrigin,
      schema: {
        tags: ['ledger'],
        summary: 'RFC 9162 consistency proof from tree size `from` to `to` (default: all)',
        params: actorParams,
        querystring: {
          type: 'object',
          required: ['from'],
          additionalProperties: false,
          properties: {
            from: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            to: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['size1', 'size2', 'root1', 'root2', 'hashes'],
            properties: {
              size1: { type: 'integer' },
              size2: { type: 'integer' },
              root1: { type: 'string' },
              root2: { type: 'string' },
              hashes: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const { ledger } = await actorOf(context, request);
      const { from, to } = request.query as { from: number; to?: number };
      const proof = await ledger.consistencyProof(from, to);
      return { ...proof, root1: await ledger.rootAt(proof.size1), root2: await ledger.rootAt(proof.size2) };
    },
  );
}
