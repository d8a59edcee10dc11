/**
 * How every failure leaves the node: one error handler that renders `AppError`s (and Fastify's
 * own errors, mapped onto registered codes) as `{ error: { code, message, details? } }`, a
 * not-found handler, and the JSON body parser with its nesting limit. Stack traces and internal
 * messages never reach the client; 5xx errors are logged with them instead.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderErrorPage } from '../../ui/pages/error.ts';
import { AppError, ERRORS, type ErrorCode } from '../errors.ts';

/** JSON schema of the error body, for the OpenAPI document and response serialisation. */
export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERRORS) },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

/** Fastify's and its plugins' error codes, by what they mean to a client. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_CSRF_MISSING_SECRET: 'CSRF_INVALID',
  FST_CSRF_INVALID_TOKEN: 'CSRF_INVALID',
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** Turns anything thrown into an `AppError`; unknown errors become `INTERNAL`. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = error as Partial<FastifyError> & { validation?: ValidationIssue[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    return new AppError(
      'VALIDATION_FAILED',
      `The ${e.validationContext ?? 'request'} does not match the schema.`,
      {
        in: e.validationContext,
        issues: e.validation.map((issue) => ({
          path: issue.instancePath || '/',
          message: issue.message,
          ...(issue.params?.additionalProperty ? { property: issue.params.additionalProperty } : {}),
        })),
      },
    );
  }
  if (typeof e.code === 'string' && FASTIFY_CODES[e.code])
    return new AppError(FASTIFY_CODES[e.code] as ErrorCode);
  if (e.statusCode === 429) return new AppError('RATE_LIMITED');
  if (e.statusCode === 404) return new AppError('NOT_FOUND');
  // A JSON syntax error from the body parser.
  if (error instanceof SyntaxError || (e.statusCode === 400 && e.code === undefined)) {
    return new AppError('BAD_REQUEST', 'The body is not valid JSON.');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return new AppError('BAD_REQUEST');
  return new AppError('INTERNAL');
}

function wantsHtml(request: FastifyRequest): boolean {
  return (request.routeOptions.config as { html?: boolean } | undefined)?.html === true;
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: appError.code }, appError.message);
    if (appError.code === 'RATE_LIMITED') {
      const retry = (error as { ttl?: number }).ttl;
      if (typeof retry === 'number') reply.header('retry-after', Math.ceil(retry / 1000));
    }
    reply.status(appError.status);
    if (wantsHtml(request)) {
      return reply.type('text/html; charset=utf-8').send(renderErrorPage(appError));
    }
    return reply.type('application/json; charset=utf-8').send({
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.details ? { details: appError.details } : {}),
      },
    });
  });
  app.setNotFoundHandler((_request, reply) => {
    const error = new AppError('NOT_FOUND');
    reply.status(404).send({ error: { code: error.code, message: error.message } });
  });
}

/**
 * The deepest nesting of arrays and objects in a JSON text, counted without parsing it so that a
 * hostile body is refused before any parser recurses into it. Stops counting past `limit`.
 */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Replaces Fastify's JSON parser with one that enforces `depthLimit` and keeps its prototype-poisoning guard. */
export function installJsonParser(app: FastifyInstance, depthLimit: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (jsonDepth(text, depthLimit) > depthLimit) {
      done(new AppError('JSON_TOO_DEEP', undefined, { limit: depthLimit }), undefined);
      return;
    }
    parse(request, text, done);
  });
}
