import t from 'tap';
import { ACTOR, ALICE, HOST, LedgerWriter } from '../../test-support/ledger.ts';
import { nobleBackend } from '../crypto.ts';
import { concatBytes, toHex } from '../encoding.ts';
import { canonicalBytes, type JsonObject } from '../jcs.ts';
import { verifyProof } from '../proof.ts';
import { buildEntry, EntryError, leafHashOf, verificationMethodFor } from './build.ts';
import { displayAmount, entryContent, escapeHtml } from './content.ts';
import { validateEntry } from './schemas.ts';
import { ENTRY_KINDS, type EntryBody } from './types.ts';

const expense: EntryBody<'Expense'> = {
  kind: 'Expense',
  by: ALICE,
  expenseType: 'invoice',
  title: 'Soldering irons',
  payee: 'Alice',
  items: [
    { description: 'Irons', amount: '100.00', incurredOn: '2026-01-02' },
    { description: 'Tin', amount: '20.00', incurredOn: '2026-01-02' },
  ],
  amount: '120.00',
  currency: 'EUR',
  commitments: { payout: 'ab'.repeat(32), email: 'cd'.repeat(32) },
  attachments: [{ sha256: 'ef'.repeat(32), mediaType: 'application/pdf', size: 1 }],
};

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof EntryError) return error.code;
    throw error;
  }
  return 'no error';
}

t.test('an entry is signed, chained and hashed as SPEC.md §5 says', async (t) => {
  const w = new LedgerWriter({ backend: nobleBackend });
  const genesis = w.built[0];
  t.ok(genesis);
  if (genesis === undefined) return;
  t.equal(genesis.entry.prev, undefined, 'the genesis has no prev');
  t.equal(genesis.entry.proof.verificationMethod, `${ACTOR}#ledger-key-0`);
  const built = w.append({ kind: 'Contribution', amount: '25.00', currency: 'EUR', contributor: 'Alice' });
  const e = built.entry;
  t.equal(e.id, `${ACTOR}/ledger/1`);
  t.equal(e.prev, toHex(genesis.leafHash));
  t.equal(e.published, e.proof.created);
  t.same(e.to, ['https://www.w3.org/ns/activitystreams#Public']);
  t.same(built.leaf, canonicalBytes(e), 'leaf = JCS(signed entry)');
  t.same(
    built.leafHash,
    nobleBackend.sha256(concatBytes(Uint8Array.of(0), built.leaf)),
    'RFC 9162 leaf hash',
  );
  t.same(leafHashOf(built.leaf), built.leafHash);
  t.equal(
    e.content,
    `<p>Repair Café received €25.00 from Alice. <a href="${ACTOR}/ledger/1">#1</a></p>`,
    'the sentence of SPEC.md §5.1',
  );
  t.equal(built.head.nextSeq, 2);
  t.equal(built.head.prevHash, toHex(built.leafHash));
  const pub = nobleBackend.publicKey(w.secretKey());
  t.ok(
    verifyProof(e as unknown as JsonObject, {
      publicKey: pub,
      verificationMethod: verificationMethodFor(ACTOR, 0),
    }).ok,
  );
  t.ok(validateEntry(JSON.parse(JSON.stringify(e))).ok, 'a parsed copy matches the signed schema');
});

t.test('sentences escape user text and format amounts without Intl', async (t) => {
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  t.equal(displayAmount('25.00', 'EUR'), '€25.00');
  t.equal(displayAmount('25.00', 'CHF'), '25.00 CHF');
  t.equal(displayAmount('1000', 'JPY'), '1000 JPY');
  const context = { name: 'Café <script>', id: `${ACTOR}/ledger/3`, seq: 3 };
  t.equal(
    entryContent(expense, context),
    `<p>Alice filed an expense of €120.00: “Soldering irons”. <a href="${ACTOR}/ledger/3">#3</a></p>`,
  );
  const hostile = entryContent({ kind: 'Update', title: '<img src=x onerror=alert(1)>', body: 'b' }, context);
  t.notMatch(hostile, /<img|<script/);
  t.match(hostile, /^<p>Café &lt;script&gt; posted an update: “&lt;img src=x onerror=alert\(1\)&gt;”\./);
  t.match(
    entryContent({ kind: 'Contribution', amount: '5.00', currency: 'EUR' }, context),
    /an anonymous contributor/,
  );
});

t.test('every kind builds and matches its schema', async (t) => {
  const w = new LedgerWriter();
  w.joinHost();
  const c = w.append({
    kind: 'Contribution',
    amount: '300.00',
    currency: 'EUR',
    receipt: w.hostSign('Receipt', { amount: '300.00', currency: 'EUR' }),
  });
  const e = w.append(expense);
  const hash = w.hash(e.entry.seq);
  w.append({ kind: 'ExpenseRejected', expense: hash, comment: 'no' });
  w.append({ kind: 'ExpenseApproved', expense: hash });
  w.append({
    kind: 'ExpenseCountersigned',
    expense: hash,
    countersignature: w.hostSign('ExpenseCountersignature', {
      amount: '120.00',
      currency: 'EUR',
      expense: hash,
    }),
  });
  w.append({
    kind: 'ExpensePaid',
    expense: hash,
    amount: '120.00',
    currency: 'EUR',
    payout: w.hostSign('Payout', { amount: '120.00', currency: 'EUR', expense: hash }),
  });
  const contribution = w.hash(c.entry.seq);
  w.append({ kind: 'Refund', contribution, amount: '1.00', currency: 'EUR' });
  w.append({ kind: 'HostFee', contribution, amount: '1.00', currency: 'EUR', host: HOST });
  w.append({
    kind: 'Transfer',
    amount: '1.00',
    currency: 'EUR',
    direction: 'out',
    counterparty: HOST,
    memo: 'm',
  });
  w.append({ kind: 'KeyRotated', ledgerKey: 'z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH' });
  w.append({ kind: 'Update', title: 'Hello', body: 'World' });
  w.append({
    kind: 'Event',
    name: 'Repair day',
    startTime: '2026-03-01T09:00:00Z',
    endTime: '2026-03-01T17:00:00Z',
    timeZone: 'America/Argentina/Buenos_Aires',
    place: 'Hall',
    description: 'Come',
  });
  w.append({ kind: 'HostLeft', host: HOST });
  // The host-ledger kinds (SPEC.md §5.6), here on a ledger that is a host to another collective.
  const member = 'https://garden.example/actors/garden';
  w.append({
    kind: 'MemberJoined',
    collective: member,
    collectiveKey: 'z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH',
    feeBasisPoints: 250,
    application: 'a1'.repeat(32),
    terms: 'b2'.repeat(32),
  });
  w.append({ kind: 'FundsReceived', collective: member, amount: '3.00', currency: 'EUR', reference: 'R 1' });
  w.append({
    kind: 'PayoutMade',
    collective: member,
    expense: 'e1'.repeat(32),
    amount: '2.00',
    currency: 'EUR',
    reference: 'P 1',
    memo: 'Van',
  });
  w.append({ kind: 'MemberLeft', collective: member });
  const kinds = new Set(w.entries.map((x) => x.kind));
  t.equal(kinds.size, 19, 'all 19 kinds');
  t.equal(kinds.size, ENTRY_KINDS.length);
  for (const entry of w.entries) {
    t.ok(validateEntry(entry).ok, entry.kind);
    t.match(
      entry.content,
      new RegExp(`<a href="${entry.id}">#${entry.seq}</a></p>$`),
      `${entry.kind} links itself`,
    );
  }
  t.equal(w.head.keyIndex, 1);
  t.equal(w.head.host, undefined);
});

t.test('nothing invalid is signed: EntryError codes', async (t) => {
  const w = new LedgerWriter();
  const head = w.head;
  const opts = { time: new Date('2026-01-01T00:00:00Z'), secretKey: w.secretKey(), backend: w.backend };
  const build = (body: unknown) => () => buildEntry(head, body as EntryBody, opts);
  t.equal(code(build({ ...expense, title: 'x'.repeat(201) })), 'schemaViolation');
  t.equal(code(build({ ...expense, color: 'red' })), 'schemaViolation');
  t.equal(code(build({ kind: 'Contribution', amount: '25.001', currency: 'EUR' })), 'badAmount');
  t.equal(code(build({ kind: 'Contribution', amount: '25.0', currency: 'EUR' })), 'badAmount');
  t.equal(code(build({ kind: 'Contribution', amount: '25', currency: 'EUR' })), 'badAmount');
  t.equal(code(build({ kind: 'Contribution', amount: '-1.00', currency: 'EUR' })), 'schemaViolation');
  t.equal(code(build({ kind: 'Contribution', amount: '1.00', currency: 'USD' })), 'currencyMismatch');
  t.equal(code(build({ ...expense, amount: '121.00' })), 'amountMismatch');
  t.equal(code(build({ kind: 'Donation' })), 'unknownKind');
  t.equal(code(build({ kind: 'Update', title: JSON.parse('"\\ud800"'), body: 'b' })), 'notCanonicalizable');
  t.equal(
    code(
      build({
        ...expense,
        items: Array.from({ length: 40 }, () => ({ ...expense.items[0], description: 'd'.repeat(2000) })),
        amount: '4000.00',
      }),
    ),
    'leafTooLarge',
  );
  t.equal(
    code(
      build({
        kind: 'Event',
        name: 'n',
        startTime: '2026-03-01T09:00:00Z',
        endTime: '2026-02-01T09:00:00Z',
        timeZone: 'UTC',
        place: 'l',
        description: 'd',
      }),
    ),
    'schemaViolation',
  );
  t.equal(
    code(
      build({
        kind: 'Event',
        name: 'n',
        startTime: '2026-03-01T09:00:00Z',
        endTime: '2026-03-01T10:00:00Z',
        timeZone: 'not a zone',
        place: 'l',
        description: 'd',
      }),
    ),
    'schemaViolation',
  );
  // A receipt with no host, or signed by a key that is not the host's.
  const receipt = w.hostSign('Receipt', { amount: '5.00', currency: 'EUR' });
  t.equal(
    code(build({ kind: 'Contribution', amount: '5.00', currency: 'EUR', receipt })),
    'hostSignatureInvalid',
  );
  w.joinHost();
  t.equal(
    code(() => w.append({ kind: 'Contribution', amount: '6.00', currency: 'EUR', receipt })),
    'hostSignatureInvalid',
  );
  t.ok(
    w.append({ kind: 'Contribution', amount: '5.00', currency: 'EUR', receipt }),
    'the matching receipt is accepted',
  );
  t.equal(
    code(() => w.append({ kind: 'Genesis' } as never)),
    'notGenesis',
  );
});
