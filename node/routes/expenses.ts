/**
 * Expenses: anyone may file one (no account; rate-limited) and gets a private link to follow it;
 * admins approve or reject with a comment. Payout details and the e-mail never enter the entry:
 * they go to the private store, and the entry carries their salted commitments.
 */
import type { FastifyInstance } from 'fastify';
import type { EntryBody } from '../../protocol/entry/types.ts';
import { addAmounts, formatAmount } from '../../protocol/money.ts';
import type { Principal } from '../auth/accounts.ts';
import { requireAdmin } from '../auth/hooks.ts';
import { AppError } from '../errors.ts';
import {
  base64Length,
  checkAttachments,
  decodeBase64,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS,
} from '../private/attachments.ts';
import { commit } from '../private/expenses.ts';
import { ACTOR_NAME, type ActorHandle, actorOf, HASH, type RouteContext } from './context.ts';
import { errorSchema } from './errors.ts';
import { AMOUNT_INPUT, amountField, DATE_INPUT, isCalendarDate, TEXT } from './input.ts';
import { entryRecordSchema, recordJson } from './ledger.ts';
import { expenseState } from './reads.ts';
import { actorParams, adminSecurity, writeResponses } from './writes.ts';

/** What a filer sends (the JSON API and the HTML form both end here). */
export interface ExpenseInput {
  title: string;
  type: 'invoice' | 'receipt' | 'grant';
  payee: string;
  items: { description: string; amount: string; date: string }[];
  /** Private: how to pay (IBAN, address...). */
  payout: string;
  /** Private: where to reach the filer. */
  email?: string;
  /** Files (base64); kept privately, only their hash, type and size enter the entry. */
  attachments?: { name?: string; mediaType?: string; data: string }[];
}

/**
 * The expense route's body limit: the node's usual limit for the form fields, plus room for the
 * largest allowed set of attachments in base64. Anything bigger is `BODY_TOO_LARGE`; a body
 * within it whose files break the per-file rules gets an `ATTACHMENT_*` code.
 */
export const EXPENSE_BODY_LIMIT_EXTRA = MAX_ATTACHMENTS * (base64Length(MAX_ATTACHMENT_BYTES) + 1024);

export const expenseInputSchema = {
  type: 'object',
  required: ['title', 'type', 'payee', 'items', 'payout'],
  additionalProperties: false,
  properties: {
    title: TEXT(200),
    type: { type: 'string', enum: ['invoice', 'receipt', 'grant'] },
    payee: { ...TEXT(200), description: 'Public name of who gets paid.' },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        required: ['description', 'amount', 'date'],
        additionalProperties: false,
        properties: { description: TEXT(2000), amount: AMOUNT_INPUT, date: DATE_INPUT },
      },
    },
    payout: { ...TEXT(2000), description: 'Private: payout details, never published.' },
    email: { type: 'string', maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$', description: 'Private.' },
    attachments: {
      type: 'array',
      description: `Private files: at most ${MAX_ATTACHMENTS}, each at most ${MAX_ATTACHMENT_BYTES} bytes, PDF, PNG, JPEG or WebP (checked by content).`,
      items: {
        type: 'object',
        required: ['data'],
        additionalProperties: false,
        properties: {
          name: { ...TEXT(255), description: 'File name; informative only, never stored or trusted.' },
          mediaType: { type: 'string', maxLength: 100, description: 'Must match the content if given.' },
          data: { type: 'string', description: 'The file, padded standard base64.' },
        },
      },
    },
  },
} as const;

const filedSchema = {
  type: 'object',
  required: ['expense', 'follow'],
  properties: {
    expense: entryRecordSchema,
    follow: { type: 'string', description: 'Private link to follow the expense; shown once.' },
  },
} as const;

/** A file as received, before `checkAttachments`: raw bytes and the type the sender declared, if any. */
export interface ReceivedFile {
  bytes: Uint8Array;
  mediaType?: string;
}

function decodeAttachments(attachments: ExpenseInput['attachments']): ReceivedFile[] {
  return (attachments ?? []).map((file, i) => {
    if (file.data.length > base64Length(MAX_ATTACHMENT_BYTES)) {
      throw new AppError('ATTACHMENT_TOO_LARGE', undefined, { index: i, maxBytes: MAX_ATTACHMENT_BYTES });
    }
    return {
      bytes: decodeBase64(file.data, i),
      ...(file.mediaType !== undefined ? { mediaType: file.mediaType } : {}),
    };
  });
}

/**
 * Files an expense: builds the entry (amounts exact, private data committed), appends it, keeps
 * the private data and returns the entry with its follow link. The private data is written only
 * after the entry is durable, so a failed append leaves nothing behind. `files` are the
 * attachments when they came as raw bytes (the HTML form's multipart body); without it they are
 * decoded from `input.attachments` (the JSON API's base64).
 */
export async function fileExpense(
  context: RouteContext,
  handle: ActorHandle,
  input: ExpenseInput,
  principal: Principal | undefined,
  files?: readonly ReceivedFile[],
) {
  const currency = handle.info.currency;
  // Files are checked before anything is appended, so a refused file leaves nothing behind.
  const attachments = checkAttachments(files ?? decodeAttachments(input.attachments));
  const items = input.items.map((item, i) => {
    if (!isCalendarDate(item.date)) {
      throw new AppError('VALIDATION_FAILED', `items[${i}].date is not a real date.`, {
        field: `items/${i}/date`,
      });
    }
    const amount = amountField(item.amount, currency, `items[${i}].amount`);
    return { description: item.description.trim(), amount, incurredOn: item.date };
  });
  const total = addAmounts(...items.map((item) => item.amount.minor));
  if (!total.ok)
    throw new AppError('INVALID_AMOUNT', 'The items add up to more than an amount can hold.', {
      field: 'items',
    });
  const payout = commit(input.payout);
  const email = input.email ? commit(input.email.trim().toLowerCase()) : undefined;
  const entry: EntryBody<'Expense'> = {
    kind: 'Expense',
    expenseType: input.type,
    title: input.title.trim(),
    payee: input.payee.trim(),
    items: items.map((item) => ({
      description: item.description,
      amount: item.amount.text,
      incurredOn: item.incurredOn,
    })),
    amount: formatAmount(total.minor, currency),
    currency,
    commitments: { payout: payout.commitment, ...(email ? { email: email.commitment } : {}) },
    attachments: attachments.map(({ sha256, mediaType, size }) => ({ sha256, mediaType, size })),
  };
  // An admin of this actor filing while signed in is named; anyone else by a commitment.
  const by = principal?.actor === handle.info.name ? principal.accountId : (email ?? payout).commitment;
  const record = await handle.ledger.append(entry, by);
  const token = await context.privateExpenses.save(
    { actor: handle.info.name, expense: record.leafHash, payout, ...(email ? { email } : {}) },
    attachments,
  );
  return { expense: recordJson(record), follow: `${context.config.origin}/follow/${token}` };
}

/** The decision step shared by approve and reject: checks, then appends. */
async function decide(
  context: RouteContext,
  handle: ActorHandle,
  hash: string,
  decision: 'approve' | 'reject',
  comment: string | undefined,
  principal: Principal,
) {
  const expense = await handle.ledger.getByHash(hash);
  if (expense?.entry.kind !== 'Expense') throw new AppError('EXPENSE_NOT_FOUND');
  if (decision === 'approve') {
    const account = await context.auth.getAccount(principal.actor, principal.username);
    const secret = await context.privateExpenses.get(handle.info.name, expense.leafHash);
    const ownEmail = account?.email !== undefined && secret?.email?.value === account.email;
    if (expense.entry.by === principal.accountId || ownEmail) throw new AppError('SELF_APPROVAL');
  }
  const state = await expenseState(handle, expense.leafHash);
  const allowed = decision === 'approve' ? ['pending', 'rejected'] : ['pending'];
  if (state !== undefined && !allowed.includes(state)) {
    throw new AppError('EXPENSE_STATE', undefined, { state, allowed });
  }
  const body: EntryBody<'ExpenseApproved'> | EntryBody<'ExpenseRejected'> =
    decision === 'approve'
      ? { kind: 'ExpenseApproved', expense: expense.leafHash, ...(comment ? { comment } : {}) }
      : { kind: 'ExpenseRejected', expense: expense.leafHash, comment: comment as string };
  return recordJson(await handle.ledger.append(body, principal.accountId));
}

export function expenseRoutes(app: FastifyInstance, context: RouteContext): void {
  const admin = requireAdmin(app);
  const limit = context.config.rateLimits.publicExpense;

  app.post(
    '/api/actors/:actor/expenses',
    {
      config: { rateLimit: { max: limit.max, timeWindow: limit.windowMs } },
      bodyLimit: context.config.bodyLimit + EXPENSE_BODY_LIMIT_EXTRA,
      schema: {
        tags: ['expenses'],
        summary: 'File an expense (no account needed; rate-limited). Returns a private follow link.',
        params: actorParams,
        body: expenseInputSchema,
        response: { 201: filedSchema, '4xx': errorSchema, '5xx': errorSchema },
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      return reply
        .status(201)
        .send(await fileExpense(context, handle, request.body as ExpenseInput, request.principal));
    },
  );

  const decisionParams = {
    type: 'object',
    required: ['actor', 'hash'],
    additionalProperties: false,
    properties: { actor: ACTOR_NAME, hash: HASH },
  } as const;

  app.post(
    '/api/actors/:actor/expenses/:hash/approve',
    {
      // The comment is optional, so an empty POST is an approval without one.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
      preHandler: admin,
      schema: {
        tags: ['expenses'],
        summary: 'Approve a pending (or rejected) expense; its author cannot',
        security: adminSecurity,
        params: decisionParams,
        body: { type: 'object', additionalProperties: false, properties: { comment: TEXT(2000) } },
        response: writeResponses,
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      const { hash } = request.params as { hash: string };
      const { comment } = (request.body ?? {}) as { comment?: string };
      return reply
        .status(201)
        .send(await decide(context, handle, hash, 'approve', comment, request.principal as Principal));
    },
  );

  app.post(
    '/api/actors/:actor/expenses/:hash/reject',
    {
      preHandler: admin,
      schema: {
        tags: ['expenses'],
        summary: 'Reject a pending expense, saying why',
        security: adminSecurity,
        params: decisionParams,
        body: {
          type: 'object',
          required: ['comment'],
          additionalProperties: false,
          properties: { comment: TEXT(2000) },
        },
        response: writeResponses,
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      const { hash } = request.params as { hash: string };
      const { comment } = request.body as { comment: string };
      return reply
        .status(201)
        .send(await decide(context, handle, hash, 'reject', comment, request.principal as Principal));
    },
  );

  app.get(
    '/api/follow/:token',
    {
      schema: {
        tags: ['expenses'],
        summary: 'Follow a filed expense through its private link',
        params: {
          type: 'object',
          required: ['token'],
          additionalProperties: false,
          properties: { token: { type: 'string', pattern: '^[A-Za-z0-9_-]{32}$' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['actor', 'expense'],
            properties: { actor: { type: 'string' }, state: { type: 'string' }, expense: entryRecordSchema },
          },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (request) => followExpense(context, (request.params as { token: string }).token),
  );
}

/** What a follow link shows: the public entry and its state (never the private data). */
export async function followExpense(context: RouteContext, token: string) {
  const found = await context.privateExpenses.resolveFollow(token);
  if (!found) throw new AppError('FOLLOW_NOT_FOUND');
  const handle = await context.actors.get(found.actor);
  const record = await handle?.ledger.getByHash(found.expense);
  if (!handle || !record) throw new AppError('FOLLOW_NOT_FOUND');
  const state = await expenseState(handle, record.leafHash);
  return { actor: found.actor, ...(state ? { state } : {}), expense: recordJson(record) };
}
