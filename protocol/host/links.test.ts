// The typed link between a host-signed object and the host's own entry, on real signed entries.
import t from 'tap';
import { ACTOR, clone, HOST, hostKeys, seed } from '../../test-support/ledger.ts';
import { keyPairFromSeed } from '../crypto.ts';
import { toHex } from '../encoding.ts';
import { buildEntry, buildGenesis, type HostObjectFields, signHostObject } from '../entry/build.ts';
import type { EntryBody, HostSignedType, SignedEntry } from '../entry/types.ts';
import { encodeMultikey } from '../multikey.ts';
import { checkHostLink, HOST_ENTRY_KIND, isHostLinkValid } from './links.ts';

const time = new Date('2026-11-27T10:00:00Z');
const sign = { time, secretKey: hostKeys.secretKey };
const EXPENSE = 'e1'.repeat(32);

// The host's ledger: genesis, a member, money received for it, a payout of its expense.
let head = buildGenesis(
  {
    actor: HOST,
    actorType: 'Organization',
    name: 'Brussels Together',
    currency: 'EUR',
    checkpointKey: encodeMultikey(keyPairFromSeed(seed(251)).publicKey),
    origin: 'host.example/actors/brussels-together',
  },
  sign,
).head;
function append<K extends 'MemberJoined' | 'FundsReceived' | 'PayoutMade'>(body: EntryBody<K>) {
  const built = buildEntry(head, body, sign);
  head = built.head;
  return { entry: built.entry as SignedEntry, hash: toHex(built.leafHash) };
}
append({
  kind: 'MemberJoined',
  collective: ACTOR,
  collectiveKey: encodeMultikey(keyPairFromSeed(seed(1)).publicKey),
  feeBasisPoints: 500,
  application: 'a1'.repeat(32),
  terms: 'b2'.repeat(32),
});
const received = append({
  kind: 'FundsReceived',
  collective: ACTOR,
  amount: '25.00',
  currency: 'EUR',
  reference: '+++090/9337/55493+++',
});
const paid = append({
  kind: 'PayoutMade',
  collective: ACTOR,
  expense: EXPENSE,
  amount: '9.00',
  currency: 'EUR',
  reference: 'KBC-2026-0117',
});

function signed<T extends HostSignedType>(type: T, fields: HostObjectFields, collective = ACTOR) {
  return signHostObject(type, fields, { ...sign, host: HOST, collective });
}

t.test('a receipt and a payout reconcile with the host entries they name', async (t) => {
  t.same(HOST_ENTRY_KIND, {
    Receipt: 'FundsReceived',
    Payout: 'PayoutMade',
    ExpenseCountersignature: undefined,
  });
  const receipt = signed('Receipt', { amount: '25.00', currency: 'EUR', hostEntry: received.hash });
  const payout = signed('Payout', {
    expense: EXPENSE,
    amount: '9.00',
    currency: 'EUR',
    hostEntry: paid.hash,
  });
  t.equal(checkHostLink(receipt, received.entry), undefined);
  t.equal(checkHostLink(payout, paid.entry), undefined);
  t.ok(isHostLinkValid(receipt, received.entry));
});

t.test('every way they can disagree', async (t) => {
  const receipt = signed('Receipt', { amount: '25.00', currency: 'EUR', hostEntry: received.hash });
  const payout = signed('Payout', {
    expense: EXPENSE,
    amount: '9.00',
    currency: 'EUR',
    hostEntry: paid.hash,
  });
  const countersignature = signed('ExpenseCountersignature', {
    expense: EXPENSE,
    amount: '9.00',
    currency: 'EUR',
  });
  const cases: [string, ReturnType<typeof checkHostLink>, unknown][] = [
    [
      'a countersignature moves no money',
      checkHostLink(countersignature, paid.entry),
      { type: 'noHostEntry' },
    ],
    [
      'the host ledger has no such entry',
      checkHostLink(receipt, undefined),
      { type: 'hostEntryNotFound', hostEntry: received.hash },
    ],
    [
      'a receipt naming a payout',
      checkHostLink(signed('Receipt', { amount: '9.00', currency: 'EUR', hostEntry: paid.hash }), paid.entry),
      { type: 'wrongKind', expected: 'FundsReceived', actual: 'PayoutMade' },
    ],
    [
      'for another collective',
      checkHostLink(
        signed(
          'Receipt',
          { amount: '25.00', currency: 'EUR', hostEntry: received.hash },
          'https://garden.example/g',
        ),
        received.entry,
      ),
      { type: 'mismatch', field: 'collective' },
    ],
    [
      'another amount',
      checkHostLink(
        signed('Receipt', { amount: '2.50', currency: 'EUR', hostEntry: received.hash }),
        received.entry,
      ),
      { type: 'mismatch', field: 'amount' },
    ],
    [
      'another currency',
      checkHostLink(receipt, { ...clone(received.entry), currency: 'CHF' } as SignedEntry),
      { type: 'mismatch', field: 'currency' },
    ],
    [
      'an entry of another ledger',
      checkHostLink(receipt, {
        ...clone(received.entry),
        attributedTo: 'https://elsewhere.example/h',
      } as SignedEntry),
      { type: 'mismatch', field: 'host' },
    ],
    [
      'a payout of another expense',
      checkHostLink(
        signed('Payout', { expense: 'e2'.repeat(32), amount: '9.00', currency: 'EUR', hostEntry: paid.hash }),
        paid.entry,
      ),
      { type: 'mismatch', field: 'expense' },
    ],
  ];
  for (const [name, actual, expected] of cases) t.same(actual, expected, name);
  t.notOk(isHostLinkValid(payout, received.entry));
});
