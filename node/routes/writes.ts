/**
 * Admin writes to a ledger: contributions, refunds, updates and events. Each is authenticated
 * (API token, or session + CSRF token), limited to admins of that actor, and acknowledged only
 * once the entry is durable.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EntryBody } from '../../protocol/entry/types.ts';
import type { Principal } from '../auth/accounts.ts';
import { requireAdmin } from '../auth/hooks.ts';
import { AppError } from '../errors.ts';
import { ACTOR_NAME, type ActorHandle, actorOf, HASH, type RouteContext } from './context.ts';
import { errorSchema } from './errors.ts';
import {
  AMOUNT_INPUT,
  amountField,
  CURRENCY_INPUT,
  isTimeZone,
  sameCurrency,
  TEXT,
  UTC_TIME,
} from './input.ts';
import { entryRecordSchema, recordJson } from './ledger.ts';

export const actorParams = {
  type: 'object',
  required: ['actor'],
  additionalProperties: false,
  properties: { actor: ACTOR_NAME },
} as const;

export const writeResponses = { 201: entryRecordSchema, '4xx': errorSchema, '5xx': errorSchema } as const;
export const adminSecurity: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];

function body<T>(request: FastifyRequest): T {
  return request.body as T;
}

async function append(handle: ActorHandle, entry: EntryBody, principal: Principal | undefined) {
  return recordJson(await handle.ledger.append(entry, principal?.accountId));
}

export function writeRoutes(app: FastifyInstance, context: RouteContext): void {
  const admin = requireAdmin(app);

  app.post(
    '/api/actors/:actor/contributions',
    {
      preHandler: admin,
      schema: {
        tags: ['writes'],
        summary: 'Record money received (leave out `contributor` for an anonymous gift)',
        security: adminSecurity,
        params: actorParams,
        body: {
          type: 'object',
          required: ['amount'],
          additionalProperties: false,
          properties: {
            amount: AMOUNT_INPUT,
            currency: CURRENCY_INPUT,
            contributor: TEXT(200),
            message: TEXT(2000),
          },
        },
        response: writeResponses,
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      const input = body<{ amount: string; currency?: string; contributor?: string; message?: string }>(
        request,
      );
      const currency = handle.info.currency;
      sameCurrency(input.currency, currency);
      const entry: EntryBody<'Contribution'> = {
        kind: 'Contribution',
        amount: amountField(input.amount, currency, 'amount').text,
        currency,
        ...(input.contributor !== undefined ? { contributor: input.contributor.trim() } : {}),
        ...(input.message !== undefined ? { message: input.message.trim() } : {}),
      };
      return reply.status(201).send(await append(handle, entry, request.principal));
    },
  );

  app.post(
    '/api/actors/:actor/refunds',
    {
      preHandler: admin,
      schema: {
        tags: ['writes'],
        summary: 'Give back (part of) a contribution',
        security: adminSecurity,
        params: actorParams,
        body: {
          type: 'object',
          required: ['contribution', 'amount'],
          additionalProperties: false,
          properties: {
            contribution: HASH,
            amount: AMOUNT_INPUT,
            currency: CURRENCY_INPUT,
            reason: TEXT(2000),
          },
        },
        response: writeResponses,
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      const input = body<{ contribution: string; amount: string; currency?: string; reason?: string }>(
        request,
      );
      const currency = handle.info.currency;
      sameCurrency(input.currency, currency);
      const amount = amountField(input.amount, currency, 'amount');
      const contribution = await handle.ledger.getByHash(input.contribution);
      if (contribution?.entry.kind !== 'Contribution') throw new AppError('CONTRIBUTION_NOT_FOUND');
      const given = amountField(
        (contribution.entry as { amount: string }).amount,
        currency,
        'contribution',
      ).minor;
      if (amount.minor > given) {
        throw new AppError('REFUND_TOO_LARGE', undefined, {
          contribution: (contribution.entry as { amount: string }).amount,
        });
      }
      const entry: EntryBody<'Refund'> = {
        kind: 'Refund',
        contribution: contribution.leafHash,
        amount: amount.text,
        currency,
        ...(input.reason !== undefined ? { reason: input.reason.trim() } : {}),
      };
      return reply.status(201).send(await append(handle, entry, request.principal));
    },
  );

  app.post(
    '/api/actors/:actor/updates',
    {
      preHandler: admin,
      schema: {
        tags: ['writes'],
        summary: 'Publish news (plain text)',
        security: adminSecurity,
        params: actorParams,
        body: {
          type: 'object',
          required: ['title', 'body'],
          additionalProperties: false,
          properties: { title: TEXT(200), body: TEXT(20_000) },
        },
        response: writeResponses,
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      const input = body<{ title: string; body: string }>(request);
      const entry: EntryBody<'Update'> = { kind: 'Update', title: input.title.trim(), body: input.body };
      return reply.status(201).send(await append(handle, entry, request.principal));
    },
  );

  app.post(
    '/api/actors/:actor/events',
    {
      preHandler: admin,
      schema: {
        tags: ['writes'],
        summary: 'Announce an event (times in UTC, held in the given IANA time zone)',
        security: adminSecurity,
        params: actorParams,
        body: {
          type: 'object',
          required: ['name', 'startTime', 'endTime', 'timeZone', 'place', 'description'],
          additionalProperties: false,
          properties: {
            name: TEXT(200),
            startTime: UTC_TIME,
            endTime: UTC_TIME,
            timeZone: { type: 'string', minLength: 1, maxLength: 64 },
            place: TEXT(200),
            description: TEXT(20_000),
          },
        },
        response: writeResponses,
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      const input = body<EntryBody<'Event'>>(request);
      if (!isTimeZone(input.timeZone))
        throw new AppError('INVALID_TIME_ZONE', undefined, { timeZone: input.timeZone });
      const start = Date.parse(input.startTime);
      const end = Date.parse(input.endTime);
      if (Number.isNaN(start) || Number.isNaN(end))
        throw new AppError('VALIDATION_FAILED', 'A time is not a real date.');
      if (end < start) throw new AppError('INVALID_TIME_RANGE');
      const entry: EntryBody<'Event'> = {
        kind: 'Event',
        name: input.name.trim(),
        startTime: input.startTime,
        endTime: input.endTime,
        timeZone: input.timeZone,
        place: input.place.trim(),
        description: input.description,
      };
      return reply.status(201).send(await append(handle, entry, request.principal));
    },
  );
}
