// The export's lines in batches, and each line decoded as the strict UTF-8 decoder would.
import t from 'tap';
import { fromUtf8, utf8 } from '../../protocol/encoding.ts';
import { LineError, lineBatches, parseJson, parseLine } from './lines.ts';

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield utf8(part);
}

async function lines(...parts: string[]): Promise<string[][]> {
  const out: string[][] = [];
  for await (const batch of lineBatches(chunks(...parts))) out.push(batch.map((l) => fromUtf8(l)));
  return out;
}

t.test('lines come out per chunk, whole even when a chunk cuts them', async (t) => {
  t.same(await lines('a\nb\n'), [['a', 'b']]);
  t.same(await lines('a\nb', 'c\nd', 'e\n'), [['a'], ['bc'], ['de']]);
  t.same(await lines('ab', 'c', 'd\n\n'), [['abcd', '']], 'a line over three chunks, then an empty one');
  t.same(await lines('€', '\n'), [['€']], 'bytes, not characters');
  t.same(await lines(), [], 'an empty file has no lines');
});

t.test('a missing final newline and an overlong line are refused, as the import refuses them', async (t) => {
  await t.rejects(lines('a\nb'), new LineError('the file does not end with a newline (truncated?)'));
  const long = 'x'.repeat(256 * 1024);
  await t.rejects(lines(long, long, long, long, long), new LineError('a line is longer than 1 MiB'));
});

t.test('parseLine decodes as fromUtf8 does and keeps the exact bytes', async (t) => {
  const text = '{"a":"€"}';
  t.same(parseLine(utf8(text)), { value: { a: '€' }, line: utf8(text) });
  const bom = Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8('{"a":1}'));
  const parsed = parseLine(bom);
  t.same(parsed.value, { a: 1 }, 'a byte order mark is dropped before parsing, as by TextDecoder');
  t.equal(parsed.line, bom, 'but the bytes kept are the line, so it never passes for canonical');
  t.same(parseJson(bom), { a: 1 }, 'as parseJson reads it');
  for (const bytes of [
    Uint8Array.of(0x22, 0xff, 0x22),
    Uint8Array.of(0x22, 0xc0, 0xaf, 0x22),
    Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22),
  ]) {
    t.equal(parseJson(bytes), undefined, 'malformed UTF-8 is not JSON (strict decoder)');
    t.same(parseLine(bytes), { value: undefined, line: bytes, notJson: true }, 'nor for parseLine');
  }
  t.same(parseLine(utf8('{"a":')).notJson, true, 'a line that is not JSON');
});
