import t from 'tap';
import { nobleBackend } from '../../protocol/crypto.ts';
import { toHex } from '../../protocol/encoding.ts';
import { checkAttachment, decodeBase64, MAX_ATTACHMENT_BYTES, sniffMediaType } from './attachments.ts';

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

t.test('media types come from magic numbers', async (t) => {
  const table: [string, Uint8Array, string | undefined][] = [
    ['PDF', bytes('%PDF-1.7\n'), 'application/pdf'],
    ['PNG', bytes([0x89], 'PNG\r\n\x1a\n', [0, 0, 0, 13]), 'image/png'],
    ['JPEG (JFIF)', bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'), 'image/jpeg'],
    ['WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'image/webp'],
    ['WAV is RIFF but not WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), undefined],
    ['HTML', bytes('<!doctype html><p>hi'), undefined],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'), undefined],
    ['a PNG signature cut short', bytes([0x89], 'PNG'), undefined],
    ['empty', bytes(), undefined],
  ];
  for (const [name, input, expected] of table) t.equal(sniffMediaType(input), expected, name);
});

t.test('checkAttachment: size first, then content against the declared type', async (t) => {
  const pdf = bytes('%PDF-1.4\n%%EOF\n');
  const ok = checkAttachment(pdf, 'Application/PDF; charset=binary', 0);
  t.equal(ok.mediaType, 'application/pdf');
  t.equal(ok.size, pdf.length);
  t.equal(ok.sha256, toHex(nobleBackend.sha256(pdf)), 'the hash an auditor would compute');
  t.throws(() => checkAttachment(pdf, 'image/png', 2), { code: 'ATTACHMENT_TYPE', details: { index: 2 } });
  t.throws(() => checkAttachment(new Uint8Array(MAX_ATTACHMENT_BYTES + 1), undefined, 0), {
    code: 'ATTACHMENT_TOO_LARGE',
  });
  t.throws(() => checkAttachment(new Uint8Array(0), undefined, 0), { code: 'ATTACHMENT_TYPE' });
});

t.test('decodeBase64 takes padded standard base64 only', async (t) => {
  t.same(decodeBase64('JVBERg==', 0), bytes('%PDF'));
  for (const bad of ['JVBERg', 'JVBER-==', 'JV BERg=', 'JVBERg=='.replace('=', '_')]) {
    t.throws(() => decodeBase64(bad, 0), { code: 'ATTACHMENT_INVALID' }, bad);
  }
});
