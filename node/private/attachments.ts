/**
 * Expense attachments (invoices, receipts): what a filer may send and how it is checked. The
 * bytes are kept privately on the node (PrivateExpenseStore); the public entry carries only
 * `{ sha256, mediaType, size }`. The media type is read from the file's first bytes and never
 * taken from the filer: a declared type that does not match them is refused, so an HTML page
 * named `receipt.png` cannot be stored, let alone served back.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors.ts';

/** How many files one expense may carry. */
export const MAX_ATTACHMENTS = 5;
/** The largest file, in bytes (5 MiB). */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

/** The media types an attachment may have: documents and images no browser runs as code. */
export const ATTACHMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'image/webp'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

/** A checked file, ready to be stored. */
export interface Attachment {
  sha256: string;
  mediaType: AttachmentType;
  size: number;
  bytes: Uint8Array;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** The media type the bytes themselves announce (magic numbers), or undefined for anything else. */
export function sniffMediaType(bytes: Uint8Array): AttachmentType | undefined {
  if (startsWith(bytes, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return undefined;
}

/**
 * Checks one file: size first (so an oversized file is refused before anything else is done with
 * it), then that its bytes are one of the accepted types and match the declared type, if any.
 */
export function checkAttachment(bytes: Uint8Array, declared: string | undefined, index: number): Attachment {
  if (bytes.length > MAX_ATTACHMENT_BYTES) {
    throw new AppError('ATTACHMENT_TOO_LARGE', undefined, {
      index,
      size: bytes.length,
      maxBytes: MAX_ATTACHMENT_BYTES,
    });
  }
  if (bytes.length === 0) throw new AppError('ATTACHMENT_TYPE', 'The file is empty.', { index });
  const sniffed = sniffMediaType(bytes);
  const declaredType = declared?.split(';')[0]?.trim().toLowerCase();
  if (sniffed === undefined || (declaredType !== undefined && declaredType !== sniffed)) {
    throw new AppError('ATTACHMENT_TYPE', undefined, {
      index,
      ...(declaredType !== undefined ? { declared: declaredType } : {}),
      accepted: [...ATTACHMENT_TYPES],
    });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { sha256, mediaType: sniffed, size: bytes.length, bytes };
}

/** Checks a whole set of files; nothing is stored unless every one passes. */
export function checkAttachments(files: readonly { bytes: Uint8Array; mediaType?: string }[]): Attachment[] {
  if (files.length > MAX_ATTACHMENTS) {
    throw new AppError('ATTACHMENT_TOO_MANY', undefined, { count: files.length, max: MAX_ATTACHMENTS });
  }
  const checked = files.map((file, i) => checkAttachment(file.bytes, file.mediaType, i));
  // The same file twice would be one stored blob listed twice; keep the entry honest.
  const unique = new Map(checked.map((a) => [a.sha256, a]));
  return [...unique.values()];
}

/** Length of the base64 text of `bytes` bytes, for body limits. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Strict base64 (RFC 4648 §4, padded) to bytes; anything else is `ATTACHMENT_INVALID`. */
export function decodeBase64(text: string, index: number): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new AppError('ATTACHMENT_INVALID', undefined, { index });
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}
