/**
 * Downloads of expense attachments: to the actor's admins, and to the filer through the private
 * follow link. The files were written by strangers, so they are served as downloads only: their
 * own media type read again from their bytes (never JSON, HTML or ActivityPub types),
 * `Content-Disposition: attachment`, `nosniff`, and a CSP sandbox in case a browser renders one
 * anyway.
 */
import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import type { EntryBody } from '../../protocol/entry/types.ts';
import { AppError } from '../errors.ts';
import { sniffMediaType } from '../private/attachments.ts';
import { ACTOR_NAME, HASH, type RouteContext } from './context.ts';
import { errorSchema } from './errors.ts';

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

const fileResponses = {
  200: { type: 'string', format: 'binary', description: 'The file, as a download.' },
  '4xx': errorSchema,
  '5xx': errorSchema,
} as const;

function sendFile(reply: FastifyReply, sha256: string, bytes: Uint8Array): FastifyReply {
  // Only types the filer could have stored pass; anything else is served as opaque bytes.
  const mediaType = sniffMediaType(bytes) ?? 'application/octet-stream';
  const extension = EXTENSIONS[mediaType] ?? 'bin';
  return reply
    .status(200)
    .header('content-type', mediaType)
    .header('content-disposition', `attachment; filename="${sha256.slice(0, 16)}.${extension}"`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store')
    .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * Authenticated admin of the route's actor. Unlike writes it needs no CSRF token: a download
 * changes nothing, and another site cannot read the response.
 */
const adminOfActor: preHandlerHookHandler = (request, _reply, done) => {
  if (!request.principal) return done(new AppError('UNAUTHENTICATED'));
  const { actor } = request.params as { actor: string };
  if (request.principal.actor !== actor) {
    return done(new AppError('FORBIDDEN', 'This account is not an admin of this actor.'));
  }
  done();
};

export function attachmentRoutes(app: FastifyInstance, context: RouteContext): void {
  app.get(
    '/api/actors/:actor/attachments/:sha256',
    {
      preHandler: adminOfActor,
      schema: {
        tags: ['expenses'],
        summary: 'Download an expense attachment (admins of the actor)',
        security: [{ bearer: [] }, { session: [] }],
        params: {
          type: 'object',
          required: ['actor', 'sha256'],
          additionalProperties: false,
          properties: { actor: ACTOR_NAME, sha256: HASH },
        },
        response: fileResponses,
      },
    },
    async (request, reply) => {
      const { actor, sha256 } = request.params as { actor: string; sha256: string };
      const bytes = await context.privateExpenses.attachment(actor, sha256);
      if (bytes === undefined) throw new AppError('ATTACHMENT_NOT_FOUND');
      return sendFile(reply, sha256, bytes);
    },
  );

  app.get(
    '/api/follow/:token/attachments/:sha256',
    {
      schema: {
        tags: ['expenses'],
        summary: 'Download an attachment of the expense a private follow link opens',
        params: {
          type: 'object',
          required: ['token', 'sha256'],
          additionalProperties: false,
          properties: { token: { type: 'string', pattern: '^[A-Za-z0-9_-]{32}$' }, sha256: HASH },
        },
        response: fileResponses,
      },
    },
    async (request, reply) => {
      const { token, sha256 } = request.params as { token: string; sha256: string };
      const found = await context.privateExpenses.resolveFollow(token);
      if (!found) throw new AppError('FOLLOW_NOT_FOUND');
      // Only the files of this very expense: the link must not open the actor's other files.
      const record = await (await context.actors.get(found.actor))?.ledger.getByHash(found.expense);
      const entry = record?.entry as Partial<EntryBody<'Expense'>> | undefined;
      const listed = entry?.kind === 'Expense' && (entry.attachments ?? []).some((f) => f.sha256 === sha256);
      const bytes = listed ? await context.privateExpenses.attachment(found.actor, sha256) : undefined;
      if (bytes === undefined) throw new AppError('ATTACHMENT_NOT_FOUND');
      return sendFile(reply, sha256, bytes);
    },
  );
}
