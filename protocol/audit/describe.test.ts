// Failures in words: one describer for the CLI and the page, over failures a real audit gives,
// the host's side (whose seq is not an entry of the audited ledger), and types it has no words for.
import t from 'tap';
import { LedgerWriter } from '../../test-support/ledger.ts';
import { encodeMultikey } from '../multikey.ts';
import { describeFailure } from './describe.ts';
import { failureSeq, type VerifyFailure } from './failure.ts';
import { LedgerAudit } from './ledger.ts';

t.test('a key the actor does not assert, from a real audit', async (t) => {
  const w = new LedgerWriter();
  const other = encodeMultikey(w.backend.publicKey(new Uint8Array(32).fill(99)));
  const audit = new LedgerAudit({ backend: w.backend, actorKeys: [other] });
  const step = audit.push(w.entries[0]);
  if (step.ok) throw new Error('the genesis key is not asserted');
  t.match(step.failure, { type: 'keyNotAsserted', seq: 0 });
  t.match(
    describeFailure(step.failure),
    /^entry 0: the ledger key z\w+ is not in the actor's assertionMethod$/,
  );
});

t.test("a seq on the host's ledger is not named as an entry of this one", async (t) => {
  const twin: VerifyFailure = {
    type: 'twinMissing',
    side: 'host',
    seq: 4,
    kind: 'FundsReceived',
    hostEntry: '0'.repeat(64),
    amount: '5.00',
    currency: 'EUR',
    published: '2026-11-27T10:00:00Z',
  };
  t.equal(failureSeq(twin), undefined);
  t.equal(
    describeFailure(twin),
    'host entry 4 (FundsReceived 5.00 EUR, 2026-11-27T10:00:00Z) has no twin on this ledger',
  );
  const nested: VerifyFailure = { type: 'hostLedgerInvalid', host: 'https://h.example/a', failure: twin };
  t.match(
    describeFailure(nested),
    /^the host's ledger https:\/\/h.example\/a does not verify: host entry 4 /,
  );
});

t.test('a type without words: its name and details, after the entry', async (t) => {
  t.equal(describeFailure({ type: 'notJson', seq: 7 }), 'entry 7: notJson');
  t.equal(describeFailure({ type: 'emptyLedger' }), 'emptyLedger');
  t.equal(
    describeFailure({ type: 'entryOutOfRange', seq: 9, size: 3 }),
    'entry 9: entryOutOfRange {"size":3}',
  );
});
