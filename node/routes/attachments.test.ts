/**
 * Expense attachments end to end through `inject` on a real node (LevelDB in a temp dir): filed
 * as base64 in the JSON API, hashed into the entry, downloaded only by the actor's admins and the
 * filer's follow link with download-only headers, and refused (with nothing written) when too
 * large, too many or not what they claim to be.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from '../private/attachments.ts';
import type { NodeServices } from '../server.ts';
import { bearer, testNode, withActor } from './test-helpers.ts';

/** A minimal, well-formed one-page PDF (catalog, pages, page, xref, trailer). */
const PDF = Buffer.from(
  [
    '%PDF-1.4',
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj',
    'trailer << /Root 1 0 R >>',
    '%%EOF',
    '',
  ].join('\n'),
);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function expense(attachments: { name?: string; mediaType?: string; data: string }[]) {
  return {
    title: 'Seeds',
    type: 'receipt',
    payee: 'Ann Green',
    items: [{ description: 'Tomato seeds', amount: '12.50', date: '2026-03-01' }],
    payout: 'BE71 0961 2345 6769',
    email: 'ann@example.org',
    attachments,
  };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The ledger size and stored-file count, to prove a refusal wrote nothing. */
async function written(node: NodeServices) {
  const handle = await node.actors.get('garden');
  return { entries: handle?.ledger.head().size, files: await node.privateExpenses.attachmentCount('garden') };
}

const many = { rateLimits: { publicExpense: { max: 100, windowMs: 60_000 } } };

t.test(
  'a filed PDF is hashed into the entry and downloaded only by admins and the follow link',
  async (t) => {
    const { app, node } = await testNode(t, many);
    const { alice } = await withActor(node);
    await withActor(node, 'orchard');
    const other = await withOrchardToken(node);

    const filed = await app.inject({
      method: 'POST',
      url: '/api/actors/garden/expenses',
      payload: expense([{ name: 'invoice.pdf', mediaType: 'application/pdf', data: PDF.toString('base64') }]),
    });
    t.equal(filed.statusCode, 201);
    const { expense: record, follow } = filed.json();
    const hash = sha256(PDF);
    t.same(record.entry.attachments, [{ sha256: hash, mediaType: 'application/pdf', size: PDF.length }]);
    t.notMatch(
      JSON.stringify(record.entry),
      /invoice\.pdf|JVBER/,
      'neither the name nor the bytes are public',
    );

    const url = `/api/actors/garden/attachments/${hash}`;
    const download = await app.inject({ url, headers: bearer(alice.token) });
    t.equal(download.statusCode, 200);
    t.ok(Buffer.compare(download.rawPayload, PDF) === 0, 'the same bytes come back');
    t.equal(download.headers['content-type'], 'application/pdf');
    t.match(download.headers['content-disposition'], /^attachment; filename="[0-9a-f]{16}\.pdf"$/);
    t.equal(download.headers['x-content-type-options'], 'nosniff');
    t.match(download.headers['content-security-policy'], /sandbox/);

    const anonymous = await app.inject({ url });
    t.equal(anonymous.statusCode, 401);
    t.equal(anonymous.json().error.code, 'UNAUTHENTICATED');
    const stranger = await app.inject({ url, headers: bearer(other) });
    t.equal(stranger.statusCode, 403, 'an admin of another actor may not');
    const theirs = await app.inject({
      url: `/api/actors/orchard/attachments/${hash}`,
      headers: bearer(other),
    });
    t.equal(theirs.statusCode, 404, "the other actor's admin cannot reach it under their own actor either");
    t.equal(theirs.json().error.code, 'ATTACHMENT_NOT_FOUND');

    const token = String(follow).split('/').pop();
    const followed = await app.inject({ url: `/api/follow/${token}/attachments/${hash}` });
    t.equal(followed.statusCode, 200);
    t.ok(Buffer.compare(followed.rawPayload, PDF) === 0);
    t.equal(followed.headers['content-disposition']?.toString().startsWith('attachment;'), true);
    const wrongToken = await app.inject({ url: `/api/follow/${'x'.repeat(32)}/attachments/${hash}` });
    t.equal(wrongToken.statusCode, 404);

    // A second expense's file is not reachable through the first expense's follow link.
    const png = Buffer.concat([PNG_SIGNATURE, Buffer.from('rest of an image')]);
    const second = await app.inject({
      method: 'POST',
      url: '/api/actors/garden/expenses',
      payload: expense([{ mediaType: 'image/png', data: png.toString('base64') }]),
    });
    t.equal(second.statusCode, 201);
    const pngHash = sha256(png);
    const across = await app.inject({ url: `/api/follow/${token}/attachments/${pngHash}` });
    t.equal(across.statusCode, 404);
    t.equal(across.json().error.code, 'ATTACHMENT_NOT_FOUND');
    const asPng = await app.inject({
      url: `/api/actors/garden/attachments/${pngHash}`,
      headers: bearer(alice.token),
    });
    t.equal(asPng.headers['content-type'], 'image/png');
  },
);

/** A token for orchard's admin (withActor made alice and bob there too). */
async function withOrchardToken(node: NodeServices): Promise<string> {
  const account = await node.auth.getAccount('orchard', 'bob');
  if (!account) throw new Error('no orchard admin');
  return node.auth.createToken(account, 'test');
}

t.test('refused files leave no entry and no file', async (t) => {
  const { app, node } = await testNode(t, many);
  await withActor(node);
  const before = await written(node);
  const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');

  const cases: [string, ReturnType<typeof expense>, number, string][] = [
    [
      'HTML named and declared as PNG',
      expense([{ name: 'receipt.png', mediaType: 'image/png', data: html.toString('base64') }]),
      415,
      'ATTACHMENT_TYPE',
    ],
    ['HTML with no declared type', expense([{ data: html.toString('base64') }]), 415, 'ATTACHMENT_TYPE'],
    [
      'a PNG declared as a PDF',
      expense([{ mediaType: 'application/pdf', data: PNG_SIGNATURE.toString('base64') }]),
      415,
      'ATTACHMENT_TYPE',
    ],
    [
      'a good PDF next to a file one byte too large',
      expense([
        { data: PDF.toString('base64') },
        {
          data: Buffer.concat([PDF, Buffer.alloc(MAX_ATTACHMENT_BYTES - PDF.length + 1)]).toString('base64'),
        },
      ]),
      413,
      'ATTACHMENT_TOO_LARGE',
    ],
    [
      'one file too many',
      expense(
        Array.from({ length: MAX_ATTACHMENTS + 1 }, (_, i) => ({
          data: Buffer.concat([PDF, Buffer.from(`%${i}`)]).toString('base64'),
        })),
      ),
      400,
      'ATTACHMENT_TOO_MANY',
    ],
    ['not base64', expense([{ data: 'JVBER*==' }]), 400, 'ATTACHMENT_INVALID'],
  ];
  for (const [name, payload, status, code] of cases) {
    const response = await app.inject({ method: 'POST', url: '/api/actors/garden/expenses', payload });
    t.equal(response.statusCode, status, name);
    t.equal(response.json().error.code, code, name);
    t.same(await written(node), before, `${name}: nothing written`);
  }

  // A body past the route's limit is cut off before it is parsed.
  const huge = expense(
    Array.from({ length: MAX_ATTACHMENTS + 1 }, () => ({
      data: Buffer.alloc(MAX_ATTACHMENT_BYTES).toString('base64'),
    })),
  );
  const tooBig = await app.inject({ method: 'POST', url: '/api/actors/garden/expenses', payload: huge });
  t.equal(tooBig.statusCode, 413);
  t.equal(tooBig.json().error.code, 'BODY_TOO_LARGE');
  t.same(await written(node), before, 'nothing written');
});

t.test('the most a filer may send fits the body limit and is accepted', async (t) => {
  const { app, node } = await testNode(t, many);
  const { alice } = await withActor(node);
  const files = Array.from({ length: MAX_ATTACHMENTS }, (_, i) => {
    const bytes = Buffer.alloc(MAX_ATTACHMENT_BYTES);
    PDF.copy(bytes);
    bytes.writeUInt32BE(i, PDF.length);
    return bytes;
  });
  const filed = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/expenses',
    payload: expense(
      files.map((bytes) => ({ mediaType: 'application/pdf', data: bytes.toString('base64') })),
    ),
  });
  t.equal(filed.statusCode, 201);
  t.same(
    filed.json().expense.entry.attachments,
    files.map((bytes) => ({
      sha256: sha256(bytes),
      mediaType: 'application/pdf',
      size: MAX_ATTACHMENT_BYTES,
    })),
  );
  t.equal(await node.privateExpenses.attachmentCount('garden'), MAX_ATTACHMENTS);
  const last = files[MAX_ATTACHMENTS - 1] as Buffer;
  const download = await app.inject({
    url: `/api/actors/garden/attachments/${sha256(last)}`,
    headers: bearer(alice.token),
  });
  t.ok(Buffer.compare(download.rawPayload, last) === 0);
});
