import { readFileSync } from 'node:fs';
import t from 'tap';
import { AppError, ERRORS, type ErrorCode } from './errors.ts';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

t.test('every registered code is documented in docs/errors.md with its status', async (t) => {
  const rows = new Map<string, number>();
  for (const match of doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm))
    rows.set(match[1] as string, Number(match[2]));
  for (const [code, definition] of Object.entries(ERRORS)) {
    t.equal(rows.get(code), definition.status, `${code} is documented with status ${definition.status}`);
  }
  for (const code of rows.keys()) t.ok(code in ERRORS, `${code} in the doc is a registered code`);
});

t.test('statuses are client or server errors and messages are sentences', async (t) => {
  for (const [code, { status, message }] of Object.entries(ERRORS)) {
    t.ok(status >= 400 && status < 600, code);
    t.match(message, /^[A-Z].*\.$/, code);
  }
  const error = new AppError('SELF_APPROVAL' satisfies ErrorCode, undefined, { expense: 'x' });
  t.equal(error.status, 403);
  t.equal(error.message, ERRORS.SELF_APPROVAL.message);
});
