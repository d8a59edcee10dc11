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

  // authentication and authorisation
  UNAUTHENTICATED: { status: 401, message: 'Sign in or send an API token (Authorization: Bearer) first.' },
  INVALID_CREDENTIALS: { status: 401, message: 'The user name or password is wrong.' },
  FORBIDDEN: { status: 403, message: 'This account may not do that.' },
  CSRF_INVALID: {
    status: 403,
    message: 'The form has expired or did not come from this site; reload it and retry.',
  },

  // actors and accounts
  ACTOR_NOT_FOUND: { status: 404, message: 'No collective or host has that name on this node.' },
  ACTOR_EXISTS: { status: 409, message: 'A collective or host with that name already exists.' },
  ALREADY_SET_UP: { status: 409, message: 'This node already has an actor; sign in to manage it.' },
  ACCOUNT_EXISTS: { status: 409, message: 'An admin with that user name already exists for this actor.' },

  // ledger requests
  ENTRY_NOT_FOUND: { status: 404, message: 'No entry has that sequence number or hash.' },
  CHECKPOINT_NOT_FOUND: { status: 404, message: 'No checkpoint has been published yet.' },
  PROOF_RANGE: { status: 400, message: 'The proof asks for a tree size or index outside the log.' },
  INVALID_AMOUNT: { status: 400, message: 'The amount is not valid for the currency.' },
  INVALID_TIME_ZONE: { status: 400, message: 'The time zone is not a known IANA time zone.' },
  INVALID_TIME_RANGE: { status: 400, message: 'The end time is before the start time.' },

  // expenses and contributions
  EXPENSE_NOT_FOUND: { status: 404, message: 'No expense has that hash in this ledger.' },
  EXPENSE_STATE: { status: 409, message: 'The expense is not in a state that allows this step.' },
  SELF_APPROVAL: { status: 403, message: 'The author of an expense cannot approve it.' },
  FOLLOW_NOT_FOUND: { status: 404, message: 'This follow link is not valid.' },
  CONTRIBUTION_NOT_FOUND: { status: 404, message: 'No contribution has that hash in this ledger.' },
  REFUND_TOO_LARGE: { status: 409, message: 'The refund is larger than the contribution.' },
  CURRENCY_MISMATCH: { status: 400, message: "The currency is not the ledger's currency." },
  ATTACHMENT_TOO_LARGE: { status: 413, message: 'An attachment is larger than a file may be (5 MiB).' },
  ATTACHMENT_TOO_MANY: { status: 400, message: 'The expense has more attachments than allowed (5).' },
  ATTACHMENT_TYPE: {
    status: 415,
    message:
      'An attachment is not a PDF, PNG, JPEG or WebP file, or its content does not match its declared type.',
  },
  ATTACHMENT_INVALID: { status: 400, message: 'An attachment is not valid base64.' },
  ATTACHMENT_NOT_FOUND: { status: 404, message: 'No attachment has that hash here.' },

  // ledger storage (the single writer, bulk export and import)
  LEDGER_INVALID_ENTRY: { status: 400, message: 'The entry is not valid; nothing was recorded.' },
  LEDGER_RULE: { status: 409, message: 'The entry breaks a ledger rule; nothing was recorded.' },
  LEDGER_ALREADY_RECORDED: {
    status: 409,
    message: 'The ledger already records this; nothing was recorded again.',
  },
  LEDGER_WRITE_FAILED: {
    status: 503,
    message: 'The ledger could not write the entry; nothing was recorded.',
  },
  LEDGER_CLOSED: { status: 503, message: 'The ledger is closed or shutting down; retry shortly.' },
  LEDGER_CORRUPT: { status: 500, message: 'The stored ledger does not verify; it needs an operator.' },
  INVALID_CURSOR: { status: 400, message: 'The page cursor is not valid.' },
  IMPORT_INVALID: { status: 400, message: 'The export does not verify; nothing was imported.' },

  // federation (inbox bodies are read and capped before Fedify parses them)
  INBOX_BODY_TOO_LARGE: { status: 413, message: 'The activity is too large for this inbox.' },
  INBOX_JSON_TOO_DEEP: { status: 400, message: 'The activity is nested too deeply for this inbox.' },

  // fiscal host (node/host)
  HOST_NOT_FOUND: { status: 404, message: 'No fiscal host has that name on this node.' },
  HOST_APPLICATION_INVALID: {
    status: 400,
    message: 'The application does not verify against the collective and its ledger.',
  },
  HOST_APPLICATION_NOT_FOUND: { status: 404, message: 'No application has that id at this host.' },
  HOST_APPLICATION_DECIDED: { status: 409, message: 'The application was already decided otherwise.' },
  HOST_NOT_MEMBER: { status: 409, message: 'The collective is not a member of this host.' },
  HOST_SIGNATURE_INVALID: {
    status: 400,
    message: 'The host-signed object does not verify; nothing was recorded.',
  },
  PLEDGE_NOT_FOUND: { status: 404, message: 'No pledge has that reference at this host.' },
  PLEDGE_ALREADY_RECEIVED: {
    status: 409,
    message: 'Money was already confirmed for this reference with another amount.',
  },
  STATEMENT_INVALID: { status: 400, message: 'The bank statement cannot be read with this column mapping.' },
  COUNTERSIGN_NOT_FOUND: { status: 404, message: 'The host has no request for that expense.' },
  COUNTERSIGN_STATE: {
    status: 409,
    message: 'The expense is not in a state at the host that allows this step.',
  },
  COUNTERSIGN_SAME_ADMIN: { status: 409, message: 'A second approval must come from another host admin.' },
  CHECKPOINT_INVALID: { status: 400, message: 'The checkpoint is not signed by the collective log key.' },
  CHECKPOINT_STALE: { status: 409, message: 'The checkpoint is older than the one already cosigned.' },
  CHECKPOINT_CONFLICT: {
    status: 409,
    message: 'The checkpoint is not consistent with the one already cosigned; both are kept as evidence.',
  },
  CHECKPOINT_UNATTESTED: { status: 409, message: 'The new entries move money the host did not attest.' },
  HOST_PEER_UNREACHABLE: {
    status: 502,
    message: 'The other node (host or collective) could not be read, or served something unusable.',
  },
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
