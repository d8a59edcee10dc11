/**
 * Attachments filed from the public HTML form, through `inject` on a real node (LevelDB in a temp
 * dir) with real multipart bodies (FormData serialised by `Response`, as a browser sends them):
 * the file lands in the entry and downloads through the follow page's link; the CSRF token, a
 * form field like the others, is still checked; refused files write nothing.
 */
import { createHash } from 'node:crypto';
import t from 'tap';
import { ATTACHMENT_ACCEPT } from '../../ui/pages/expense.ts';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from '../private/attachments.ts';
import type { NodeServices } from '../server.ts';
import { cookieHeader, cookiesOf, csrfOf, type TestNode, testNode, withActor } from './test-helpers.ts';

/** A minimal, well-formed one-page PDF (catalog, pages, page, trailer). */
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

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const many = { rateLimits: { publicExpense: { max: 100, windowMs: 60_000 } } };

interface FormFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

/** The bytes and content type a browser would send for these fields and files. */
async function multipart(fields: Record<string, string | string[]>, files: FormFile[] = []) {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) data.append(name, v);
  }
  for (const file of files) {
    data.append('attachments', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  }
  const response = new Response(data);
  return {
    payload: Buffer.from(await response.arrayBuffer()),
    headers: { 'content-type': response.headers.get('content-type') as string },
  };
}

/** The ledger size and stored-file count, to prove a refusal wrote nothing. */
async function written(node: NodeServices) {
  const handle = await node.actors.get('garden');
  return { entries: handle?.ledger.head().size, files: await node.privateExpenses.attachmentCount('garden') };
}

/** Opens the form as a browser would: its CSRF cookie and hidden token. */
async function openForm({ app }: TestNode) {
  const page = await app.inject({ url: '/actors/garden/expenses/new' });
  return { page: page.body, cookie: cookieHeader(cookiesOf(page)), csrf: csrfOf(page.body) };
}

const fields = (csrf?: string) => ({
  ...(csrf !== undefined ? { _csrf: csrf } : {}),
  title: 'Seeds',
  type: 'receipt',
  payee: 'Ann Green',
  payout: 'BE71 0961 2345 6769',
  email: 'ann@example.org',
  item_description: ['Tomato seeds', ''],
  item_amount: ['12.50', ''],
  item_date: ['2026-03-01', ''],
});

t.test('a PDF filed through the form lands in the entry and downloads via the follow link', async (t) => {
  const test = await testNode(t, many);
  const { app, node } = test;
  await withActor(node);
  const { page, cookie, csrf } = await openForm(test);
  t.match(page, /<form method="post" enctype="multipart\/form-data"/);
  t.match(page, /<input id="attachments" name="attachments" type="file" accept="([^"]+)" multiple>/);
  t.equal(/type="file" accept="([^"]+)"/.exec(page)?.[1], ATTACHMENT_ACCEPT);
  t.equal(ATTACHMENT_ACCEPT, 'application/pdf,image/png,image/jpeg,image/webp');

  const body = await multipart(fields(csrf), [{ name: 'invoice.pdf', type: 'application/pdf', bytes: PDF }]);
  const filed = await app.inject({
    method: 'POST',
    url: '/actors/garden/expenses/new',
    headers: { ...body.headers, cookie },
    payload: body.payload,
  });
  t.equal(filed.statusCode, 201, filed.body);
  const hash = sha256(PDF);
  const newest = (await (await node.actors.get('garden'))?.ledger.page({ limit: 1, order: 'newest' }))
    ?.items[0];
  t.same(
    (newest?.entry as { attachments?: unknown } | undefined)?.attachments,
    [{ sha256: hash, mediaType: 'application/pdf', size: PDF.length }],
    'the entry lists the file by hash, type and size',
  );
  t.same(await written(node), { entries: 2, files: 1 }, 'the genesis and the expense, one stored file');

  const follow = /href="http:\/\/localhost:8080(\/follow\/([A-Za-z0-9_-]{32}))"/.exec(filed.body);
  t.ok(follow, 'the follow link is shown');
  const followPage = await app.inject({ url: follow?.[1] as string });
  t.equal(followPage.statusCode, 200);
  const link = /<a href="([^"]+)" download>application\/pdf, ([^<]+)<\/a>/.exec(followPage.body);
  t.equal(link?.[1], `/api/follow/${follow?.[2]}/attachments/${hash}`, 'the page links the download');
  t.equal(link?.[2], `${PDF.length} bytes`);
  t.notMatch(followPage.body, /invoice\.pdf/, 'the file name is not kept');

  const download = await app.inject({ url: link?.[1] as string });
  t.equal(download.statusCode, 200);
  t.ok(Buffer.compare(download.rawPayload, PDF) === 0, 'the same bytes come back');
  t.equal(download.headers['content-type'], 'application/pdf');
  t.match(download.headers['content-disposition'], /^attachment;/);

  // A form filed with the file input left empty: browsers send one nameless, empty file part.
  const emptyInput = await multipart(fields(csrf));
  const boundary = /boundary=(.+)$/.exec(emptyInput.headers['content-type'])?.[1] as string;
  const text = emptyInput.payload.toString('latin1');
  const withEmptyPart = Buffer.from(
    text.replace(
      `--${boundary}--`,
      `--${boundary}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--${boundary}--`,
    ),
    'latin1',
  );
  const noFile = await app.inject({
    method: 'POST',
    url: '/actors/garden/expenses/new',
    headers: { ...emptyInput.headers, cookie },
    payload: withEmptyPart,
  });
  t.equal(noFile.statusCode, 201, 'an empty file input is no attachment');
  t.same(await written(node), { entries: 3, files: 1 });
});

t.test('the CSRF token is checked in a multipart body', async (t) => {
  const test = await testNode(t, many);
  const { app, node } = test;
  await withActor(node);
  const { cookie, csrf } = await openForm(test);
  const other = await openForm(test);
  const before = await written(node);
  const file = [{ name: 'invoice.pdf', type: 'application/pdf', bytes: PDF }];
  const cases: [string, Record<string, string | string[]>, string][] = [
    ['no token', fields(), cookie],
    ['a made-up token', fields('x'.repeat(csrf.length)), cookie],
    ["another visitor's token", fields(other.csrf), cookie],
    ['a token without its cookie', fields(csrf), ''],
  ];
  for (const [name, values, cookieValue] of cases) {
    const body = await multipart(values, file);
    const response = await app.inject({
      method: 'POST',
      url: '/actors/garden/expenses/new',
      headers: { ...body.headers, ...(cookieValue ? { cookie: cookieValue } : {}) },
      payload: body.payload,
    });
    t.equal(response.statusCode, 403, name);
    t.match(response.body, /CSRF_INVALID/, name);
    t.same(await written(node), before, `${name}: nothing written`);
  }
});

t.test('refused files write nothing', async (t) => {
  const test = await testNode(t, many);
  const { app, node } = test;
  await withActor(node);
  const { cookie, csrf } = await openForm(test);
  const before = await written(node);
  const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
  const tooLarge = Buffer.concat([PDF, Buffer.alloc(MAX_ATTACHMENT_BYTES - PDF.length + 1)]);
  const cases: [string, FormFile[], number, RegExp][] = [
    [
      'HTML named receipt.png',
      [{ name: 'receipt.png', type: 'image/png', bytes: html }],
      415,
      /is not a PDF, PNG, JPEG or WebP file/,
    ],
    [
      'a good PDF next to a file one byte too large',
      [
        { name: 'a.pdf', type: 'application/pdf', bytes: PDF },
        { name: 'b.pdf', type: 'application/pdf', bytes: tooLarge },
      ],
      413,
      /ATTACHMENT_TOO_LARGE/,
    ],
    [
      'one file too many',
      Array.from({ length: MAX_ATTACHMENTS + 1 }, (_, i) => ({
        name: `${i}.pdf`,
        type: 'application/pdf',
        bytes: Buffer.concat([PDF, Buffer.from(`%${i}`)]),
      })),
      400,
      /ATTACHMENT_TOO_MANY/,
    ],
  ];
  for (const [name, files, status, message] of cases) {
    const body = await multipart(fields(csrf), files);
    const response = await app.inject({
      method: 'POST',
      url: '/actors/garden/expenses/new',
      headers: { ...body.headers, cookie },
      payload: body.payload,
    });
    t.equal(response.statusCode, status, name);
    t.match(response.body, message, name);
    t.same(await written(node), before, `${name}: nothing written`);
  }

  // The JSON API still takes files only as base64: a multipart body is not parsed there.
  const body = await multipart(fields(csrf), [{ name: 'invoice.pdf', type: 'application/pdf', bytes: PDF }]);
  const api = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/expenses',
    headers: { ...body.headers, cookie },
    payload: body.payload,
  });
  t.equal(api.statusCode, 415);
  t.equal(api.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
  t.same(await written(node), before, 'nothing written');
});
