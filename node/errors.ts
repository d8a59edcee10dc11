/**
 * The one registry of error codes the node answers with. Every code has an HTTP status and a
 * human message; routes throw `AppError`s and a single Fastify error handler renders them as
 * `{ error: { code, message, details? } }`. docs/errors.md documents every code (a test checks).
 */

interface ErrorDefinition {
  status: number;
  message: string;
}

/** Add codes here, grouped by domain; never reuse a code for another meaning. */
export const ERRORS = {
  // generic request errors
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the schema.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  JSON_TOO_DEEP: { status: 400, message: 'The JSON body is nested too deeply.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'This media type is not accepted here.' },
  NOT_FOUND: { status: 404, message: 'Nothing is here.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again later.' },
  INTERNAL: { status: 500, message: 'Something went wrong on the node.' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a registered code; `details` is machine-readable context safe to show. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}
