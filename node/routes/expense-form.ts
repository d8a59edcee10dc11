/**
 * The public expense form's POST: urlencoded (no files) or `multipart/form-data` with
 * attachments. Multipart is accepted on this route only (the JSON API takes files as base64), in
 * a scope of its own, and read with the same limits as the API: at most 5 files of 5 MiB, their
 * types read from their bytes (the type a browser declares comes from the file name, so it is
 * ignored). The CSRF token is a form field like any other: the whole body is read before the
 * check, and nothing is written unless it passes.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import {
  type ExpenseFormValues,
  FORM_ITEMS,
  renderExpenseForm,
  renderFiledPage,
} from '../../ui/pages/expense.ts';
import { AppError } from '../errors.ts';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from '../private/attachments.ts';
import { ACTOR_NAME, actorOf, type RouteContext, sendHtml } from './context.ts';
import { errorSchema, toAppError } from './errors.ts';
import { type ExpenseInput, fileExpense, type ReceivedFile } from './expenses.ts';

/** The form's file input. */
export const FORM_FILE_FIELD = 'attachments';

/** The longest text field is 2000 characters, at most 4 bytes each in UTF-8. */
const FIELD_BYTES = 8000;
/** Six fields, the CSRF token and three per item row, with room to spare. */
const MAX_FIELDS = 7 + 3 * FORM_ITEMS + 8;

const htmlResponse = { 200: { content: { 'text/html': { schema: { type: 'string' } } } } } as const;

/** Repeated form fields arrive as a string or an array of strings. */
function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** The files of a multipart request, kept beside its body (which holds only the text fields). */
const received = new WeakMap<FastifyRequest, ReceivedFile[]>();

/** A parser limit as the error a filer understands; anything else is left to the error handler. */
function limitError(error: unknown, index: number): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return new AppError('ATTACHMENT_TOO_LARGE', undefined, { index, maxBytes: MAX_ATTACHMENT_BYTES });
  }
  if (code === 'FST_FILES_LIMIT') {
    return new AppError('ATTACHMENT_TOO_MANY', undefined, {
      count: MAX_ATTACHMENTS + 1,
      max: MAX_ATTACHMENTS,
    });
  }
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') return new AppError('BODY_TOO_LARGE');
  return error;
}

/**
 * Reads a multipart body into `request.body` (text fields, repeated ones as arrays, as the
 * urlencoded parser gives them) and the files aside, before the schema and the CSRF check see
 * the body. A urlencoded body is left as parsed.
 */
const readMultipart: preValidationHookHandler = async (request) => {
  if (!request.isMultipart()) return;
  const body: Record<string, string | string[]> = {};
  const files: ReceivedFile[] = [];
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.valueTruncated || part.fieldnameTruncated || typeof part.value !== 'string') {
          throw new AppError('VALIDATION_FAILED', `The field ${part.fieldname} is too long or not text.`, {
            field: part.fieldname,
          });
        }
        const previous = body[part.fieldname];
        body[part.fieldname] =
          previous === undefined
            ? part.value
            : Array.isArray(previous)
              ? [...previous, part.value]
              : [previous, part.value];
        continue;
      }
      if (part.fieldname !== FORM_FILE_FIELD) {
        part.file.resume();
        throw new AppError('VALIDATION_FAILED', `No file is expected in ${part.fieldname}.`, {
          field: part.fieldname,
        });
      }
      const bytes = await part.toBuffer();
      // A file input left empty is still sent, as a nameless empty part.
      if (bytes.length === 0 && part.filename === '') continue;
      files.push({ bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    }
  } catch (error) {
    throw limitError(error, files.length);
  }
  request.body = body;
  received.set(request, files);
};

export function expenseFormRoute(app: FastifyInstance, context: RouteContext): void {
  const limit = context.config.rateLimits.publicExpense;
  app.register(async (scope) => {
    await scope.register(multipart, {
      limits: {
        fileSize: MAX_ATTACHMENT_BYTES,
        files: MAX_ATTACHMENTS,
        fields: MAX_FIELDS,
        fieldSize: FIELD_BYTES,
        parts: MAX_FIELDS + MAX_ATTACHMENTS,
      },
    });
    scope.post(
      '/actors/:actor/expenses/new',
      {
        config: { html: true, rateLimit: { max: limit.max, timeWindow: limit.windowMs } },
        preValidation: readMultipart,
        preHandler: scope.csrfProtection,
        schema: {
          tags: ['pages'],
          summary:
            'File an expense from the form (CSRF-protected, rate-limited); multipart/form-data carries attachments',
          consumes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
          params: {
            type: 'object',
            required: ['actor'],
            additionalProperties: false,
            properties: { actor: ACTOR_NAME },
          },
          body: {
            type: 'object',
            required: ['title', 'type', 'payee', 'payout'],
            additionalProperties: false,
            properties: {
              _csrf: { type: 'string' },
              title: { type: 'string', maxLength: 200 },
              type: { type: 'string', enum: ['invoice', 'receipt', 'grant'] },
              payee: { type: 'string', maxLength: 200 },
              payout: { type: 'string', maxLength: 2000 },
              email: { type: 'string', maxLength: 254 },
              item_description: {
                anyOf: [
                  { type: 'string', maxLength: 2000 },
                  { type: 'array', maxItems: FORM_ITEMS, items: { type: 'string', maxLength: 2000 } },
                ],
              },
              item_amount: {
                anyOf: [
                  { type: 'string', maxLength: 32 },
                  { type: 'array', maxItems: FORM_ITEMS, items: { type: 'string', maxLength: 32 } },
                ],
              },
              item_date: {
                anyOf: [
                  { type: 'string', maxLength: 10 },
                  { type: 'array', maxItems: FORM_ITEMS, items: { type: 'string', maxLength: 10 } },
                ],
              },
            },
          },
          response: {
            201: { content: { 'text/html': { schema: { type: 'string' } } } },
            ...htmlResponse,
            '4xx': errorSchema,
            '5xx': errorSchema,
          },
        },
      },
      async (request, reply) => {
        const handle = await actorOf(context, request);
        const b = request.body as Record<string, unknown>;
        const descriptions = list(b.item_description);
        const amounts = list(b.item_amount);
        const dates = list(b.item_date);
        const items = descriptions
          .map((description, i) => ({
            description: description.trim(),
            amount: (amounts[i] ?? '').trim(),
            date: (dates[i] ?? '').trim(),
          }))
          .filter((item) => item.description || item.amount || item.date);
        const values: ExpenseFormValues = {
          title: String(b.title),
          type: String(b.type),
          payee: String(b.payee),
          payout: String(b.payout),
          email: b.email === undefined ? '' : String(b.email),
          items,
        };
        const again = (message: string, status: number) =>
          sendHtml(
            reply,
            renderExpenseForm({
              actor: handle.info.name,
              currency: handle.info.currency,
              csrf: reply.generateCsrf(),
              values,
              error: message,
            }),
            status,
          );
        const blank = (['title', 'payee', 'payout'] as const).find((k) => !String(values[k]).trim());
        if (blank) return again(`Fill in the ${blank}.`, 400);
        if (items.length === 0) return again('Add at least one item.', 400);
        const missing = items.findIndex(
          (item) => !item.description || !item.amount || !/^\d{4}-\d{2}-\d{2}$/.test(item.date),
        );
        if (missing >= 0) return again(`Item ${missing + 1} needs a description, an amount and a date.`, 400);
        const email = values.email?.trim();
        if (email && !/^[^\s@]+@[^\s@]+$/.test(email))
          return again('The e-mail address does not look right.', 400);
        const input: ExpenseInput = {
          title: values.title as string,
          type: values.type as ExpenseInput['type'],
          payee: values.payee as string,
          items,
          payout: values.payout as string,
          ...(email ? { email } : {}),
        };
        try {
          const filed = await fileExpense(
            context,
            handle,
            input,
            request.principal,
            received.get(request) ?? [],
          );
          return sendHtml(
            reply,
            renderFiledPage({ actor: handle.info.name, follow: filed.follow, seq: filed.expense.seq }),
            201,
          );
        } catch (error) {
          const appError = toAppError(error);
          if (appError.status >= 500) throw error;
          return again(appError.message, appError.status);
        }
      },
    );
  });
}
