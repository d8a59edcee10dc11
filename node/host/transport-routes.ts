/**
 * The admin API of the host flows over ActivityPub (node/host/transport.ts). A collective's admin
 * applies to a host (or leaves it), sees where its membership, expenses and cosigned checkpoint
 * stand, sends an approved expense again and asks for a cosignature; a host's admin sets the host's terms; a
 * supporter pledges (public, rate-limited). The
 * host admin's decisions are node/host/routes.ts's, which send their answers through the
 * transport when it is given. Authentication as node/routes/writes.ts: an admin of the actor.
 *
 * Register with `app.register(transportRoutes, { flows })` after the app's auth and CSRF plugins.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HostTerms } from '../../protocol/host/terms.ts';
import { requireAdmin } from '../auth/hooks.ts';
import { AppError } from '../errors.ts';
import { ACTOR_NAME, HASH } from '../routes/context.ts';
import { errorSchema } from '../routes/errors.ts';
import { fetchTerms } from './transport-http.ts';
import { leaveHost } from './transport-membership.ts';
import type { HostFlows } from './transport-node.ts';

const anything = { type: 'object', additionalProperties: true } as const;
const responses = { 200: anything, '4xx': errorSchema, '5xx': errorSchema } as const;
const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { session: [] }];
const actorParams = {
  type: 'object',
  required: ['actor'],
  additionalProperties: false,
  properties: { actor: ACTOR_NAME },
} as const;
const expenseParams = {
  type: 'object',
  required: ['actor', 'hash'],
  additionalProperties: false,
  properties: { actor: ACTOR_NAME, hash: HASH },
} as const;

const actorName = (request: FastifyRequest) => (request.params as { actor: string }).actor;

/** The plugin. */
export async function transportRoutes(app: FastifyInstance, options: { flows: HostFlows }): Promise<void> {
  const { transport, hosts } = options.flows;
  const allowPrivate = transport.deps.fed.deps.allowPrivateAddress;
  const admin = requireAdmin(app);
  const route = (summary: string, params: object, extra: Record<string, unknown> = {}) => ({
    preHandler: admin,
    schema: { tags: ['host'], summary, security, params, response: responses, ...extra },
  });

  app.post(
    '/api/actors/:actor/host/apply',
    route('Apply to a host: sends the signed application (Offer) to its inbox', actorParams, {
      body: {
        type: 'object',
        required: ['host'],
        additionalProperties: false,
        properties: {
          host: { type: 'string', maxLength: 2000, pattern: '^https?://[^\\s]+$' },
          message: { type: 'string', minLength: 1, maxLength: 2000, pattern: '\\S' },
        },
      },
    }),
    async (request) => {
      const input = request.body as { host: string; message?: string };
      const terms = await fetchTerms(input.host, allowPrivate);
      const pending = await transport.apply(actorName(request), {
        host: input.host,
        terms,
        ...(input.message === undefined ? {} : { message: input.message }),
      });
      return { host: pending.host, offer: pending.offer, application: pending.application };
    },
  );

  app.post(
    '/api/actors/:actor/host/leave',
    route('Leave the host: records HostLeft and sends it (Leave) to the host; the ledger stays', actorParams),
    async (request) => {
      const { host, entry } = await leaveHost(transport, actorName(request));
      return { host, seq: entry.seq, leafHash: entry.leafHash, entry: entry.entry };
    },
  );

  app.get(
    '/api/actors/:actor/host',
    route('The host of this collective, its application waiting, its last cosigned checkpoint', actorParams),
    async (request) => {
      const name = actorName(request);
      const ledger = await transport.deps.ledger(name);
      if (ledger === undefined) throw new AppError('ACTOR_NOT_FOUND');
      const application = await transport.application(name);
      const cosigned = await transport.cosigned(name);
      return {
        ...(ledger.chainHead()?.host === undefined ? {} : { host: ledger.chainHead()?.host }),
        ...(application === undefined ? {} : { application }),
        ...(cosigned === undefined ? {} : { cosigned }),
      };
    },
  );

  app.get(
    '/api/actors/:actor/checkpoint/cosigned',
    {
      schema: {
        tags: ['host'],
        summary: "The latest checkpoint its host cosigned: the signed note with the host's cosignature line",
        params: actorParams,
        response: { 200: { type: 'string' }, '4xx': errorSchema, '5xx': errorSchema },
      },
    },
    async (request, reply) => {
      const cosigned = await transport.cosigned(actorName(request));
      if (cosigned === undefined)
        throw new AppError('CHECKPOINT_NOT_FOUND', 'No checkpoint was cosigned yet.');
      return reply
        .header('access-control-allow-origin', '*')
        .type('text/plain; charset=utf-8')
        .send(cosigned.cosigned);
    },
  );

  app.post(
    '/api/actors/:actor/host/cosign',
    route('Send the latest checkpoint to the host for cosigning', actorParams),
    async (request) => {
      await transport.requestCosign(actorName(request));
      return { sent: true };
    },
  );

  app.get(
    '/api/actors/:actor/expenses/:hash/host',
    route(
      'Where the expense stands with the host: awaiting its answer, or its signed refusal',
      expenseParams,
    ),
    async (request) =>
      transport.countersignStatus(actorName(request), (request.params as { hash: string }).hash),
  );

  app.post(
    '/api/actors/:actor/expenses/:hash/host',
    route('Send the approved expense to the host again (the answer is the same)', expenseParams),
    async (request) => {
      const { hash } = request.params as { hash: string };
      await transport.requestCountersign(actorName(request), hash);
      return transport.countersignStatus(actorName(request), hash);
    },
  );

  app.post(
    '/api/hosts/:actor/pledges',
    {
      // A public door: a supporter needs no account, so it is rate-limited per address.
      config: { rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: {
        tags: ['host'],
        summary: "Pledge to a member collective: answers the host's bank details and a unique reference",
        params: actorParams,
        body: {
          type: 'object',
          required: ['collective'],
          additionalProperties: false,
          properties: {
            collective: { type: 'string', maxLength: 2000, pattern: '^https?://[^\\s]+$' },
            amount: { type: 'string', minLength: 1, maxLength: 32 },
            name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
          },
        },
        response: responses,
      },
    },
    async (request) => {
      const host = await hosts.get(actorName(request));
      if (host === undefined) throw new AppError('HOST_NOT_FOUND', undefined, { actor: actorName(request) });
      return host.funds.pledge(request.body as { collective: string; amount?: string; name?: string });
    },
  );

  app.put(
    '/api/hosts/:actor/terms',
    route("Set the host's terms (fee, currency, policy, limits, bank account)", actorParams, {
      body: {
        type: 'object',
        required: [
          'feeBasisPoints',
          'currency',
          'expensePolicy',
          'autoCountersignLimit',
          'twoAdminThreshold',
        ],
        additionalProperties: false,
        properties: {
          feeBasisPoints: { type: 'integer', minimum: 0, maximum: 10000 },
          currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          expensePolicy: { type: 'string', minLength: 1, maxLength: 20000 },
          autoCountersignLimit: { type: 'string', maxLength: 32 },
          twoAdminThreshold: { type: 'string', maxLength: 32 },
          bankAccount: {
            type: 'object',
            required: ['holder', 'iban'],
            additionalProperties: false,
            properties: {
              holder: { type: 'string', minLength: 1, maxLength: 200 },
              iban: { type: 'string', minLength: 1, maxLength: 64 },
              bic: { type: 'string', minLength: 1, maxLength: 16 },
            },
          },
        },
      },
    }),
    async (request) => {
      const terms = request.body as HostTerms;
      await hosts.setTerms(actorName(request), terms);
      return terms;
    },
  );
}
