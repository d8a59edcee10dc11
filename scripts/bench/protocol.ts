/**
 * The protocol suite: raw Ed25519 against the full entry pipeline, one thread. Signing an entry
 * (build, schema and rules, canonicalize, hash, sign, leaf hash) should cost little more than its
 * signature, and verifying one (canonicalize, schema, chain rules, proof, leaf hash) little more
 * than its signature check: targets 0.8× raw node:crypto, the reference they were set against.
 * The entries are signed and verified with the node's backend (libsodium where it loads, about
 * twice as fast), so their ratio to raw libsodium is shown too. The last rows break an entry's
 * cost down by stage, to show where the time goes when a target is missed.
 */
import { nativeBackend, opensslBackend, sodiumBackend } from '../../node/crypto/native.ts';
import { ChainVerifier } from '../../protocol/chain.ts';
import { type CryptoBackend, keyPairFromSeed } from '../../protocol/crypto.ts';
import { concatBytes, toHex } from '../../protocol/encoding.ts';
import { type BuiltEntry, buildEntry, buildGenesis, type ChainHead } from '../../protocol/entry/build.ts';
import { validateEntry } from '../../protocol/entry/schemas.ts';
import type { EntryBody, SignedEntry } from '../../protocol/entry/types.ts';
import { canonicalBytes } from '../../protocol/jcs.ts';
import { encodeMultikey } from '../../protocol/multikey.ts';
import type { BenchCase, BenchSuite } from './harness.ts';

const backend = nativeBackend;
const ACTOR = 'https://bench.example/actors/repair-cafe';
const ledgerKeys = keyPairFromSeed(new Uint8Array(32).fill(1), backend);
const checkpointKeys = keyPairFromSeed(new Uint8Array(32).fill(2), backend);
/** What eddsa-jcs-2022 signs: two SHA-256 digests. */
const MESSAGE = new Uint8Array(64).map((_, i) => (i * 7) & 0xff);
/** Entries in the prebuilt ledger the verification case walks (then starts over). */
const LEDGER_SIZE = 5000;
const HOUR = 3_600_000;

/**
 * A representative mix, in ledger order: mostly contributions, with expenses filed and approved
 * (the largest entries), and updates.
 */
function bodyFor(i: number, lastExpense: string | undefined): EntryBody {
  switch (i % 6) {
    case 3:
      return {
        kind: 'Expense',
        by: 'https://bench.example/users/alice',
        expenseType: 'receipt',
        title: `Spare parts #${i}`,
        payee: 'Alice Martin',
        items: [
          { description: 'Fuses and cables', amount: '12.50', incurredOn: '2026-01-02' },
          { description: 'Soldering tin', amount: '7.50', incurredOn: '2026-01-02' },
        ],
        amount: '20.00',
        currency: 'EUR',
        commitments: { payout: 'ab'.repeat(32) },
        attachments: [{ sha256: 'cd'.repeat(32), mediaType: 'image/jpeg', size: 183_224 }],
      };
    case 4:
      return {
        kind: 'ExpenseApproved',
        by: 'https://bench.example/users/bob',
        expense: lastExpense as string,
        comment: 'Thanks!',
      };
    case 5:
      return { kind: 'Update', title: `Repair day ${i}`, body: 'We fixed 14 toasters and a bike.' };
    default:
      return {
        kind: 'Contribution',
        amount: '25.00',
        currency: 'EUR',
        contributor: `Supporter ${i}`,
        message: 'For the café',
      };
  }
}

/** A writer that appends the mix forever; `next()` builds and signs one entry. */
function writer() {
  let time = Date.UTC(2026, 0, 1, 9);
  const sign = () => {
    time += HOUR;
    return { time: new Date(time), secretKey: ledgerKeys.secretKey, backend };
  };
  const genesis = buildGenesis(
    {
      actor: ACTOR,
      actorType: 'Group',
      name: 'Repair Café',
      currency: 'EUR',
      checkpointKey: encodeMultikey(checkpointKeys.publicKey),
      origin: 'bench.example/repair-cafe',
    },
    sign(),
  );
  let head: ChainHead = genesis.head;
  let i = 0;
  let lastExpense: string | undefined;
  return {
    genesis,
    next(): BuiltEntry {
      const body = bodyFor(i++, lastExpense);
      const built = buildEntry(head, body, sign());
      if (body.kind === 'Expense') lastExpense = toHex(built.leafHash);
      head = built.head;
      return built;
    },
  };
}

function setup(): BenchCase[] {
  const signature = backend.sign(MESSAGE, ledgerKeys.secretKey);
  const live = writer();
  const prebuilt = writer();
  const ledger: SignedEntry[] = [prebuilt.genesis.entry];
  while (ledger.length < LEDGER_SIZE) ledger.push(prebuilt.next().entry);
  const sample = ledger.slice(1, 7);

  let verifier = new ChainVerifier({ actor: ACTOR, backend });
  let position = 0;
  const verifyNext = () => {
    if (position === ledger.length) {
      verifier = new ChainVerifier({ actor: ACTOR, backend });
      position = 0;
    }
    const step = verifier.push(ledger[position++]);
    if (!step.ok) throw new Error(`benchmark ledger failed verification: ${JSON.stringify(step.reason)}`);
  };
  let s = 0;
  const nextSample = () => sample[s++ % sample.length] as SignedEntry;
  const leafSample = sample.map((e) => concatBytes(Uint8Array.of(0), canonicalBytes(e)));

  const raw = (name: string, suffix: string, rawBackend: CryptoBackend): BenchCase[] => [
    {
      id: `sign${suffix}`,
      label: `Ed25519 sign, raw ${name}`,
      unit: 'sig',
      op: () => rawBackend.sign(MESSAGE, ledgerKeys.secretKey),
    },
    {
      id: `verify${suffix}`,
      label: `Ed25519 verify, raw ${name}`,
      unit: 'sig',
      op: () => {
        if (!rawBackend.verify(signature, MESSAGE, ledgerKeys.publicKey))
          throw new Error('raw verify failed');
      },
    },
  ];
  const also = (id: string) => (sodiumBackend === undefined ? {} : { alsoAgainst: [`${id}-libsodium`] });

  return [
    ...raw('node:crypto', '', opensslBackend),
    ...(sodiumBackend === undefined ? [] : raw('libsodium', '-libsodium', sodiumBackend)),
    {
      id: 'entrySign',
      label: 'entries signed (build + JCS + hash + sign)',
      unit: 'entry',
      op: () => live.next(),
      baseline: 'sign',
      target: 0.8,
      ...also('sign'),
    },
    {
      id: 'entryVerify',
      label: 'entries verified (ChainVerifier.push)',
      unit: 'entry',
      op: verifyNext,
      baseline: 'verify',
      target: 0.8,
      ...also('verify'),
    },
    {
      id: 'jcs',
      label: '· JCS of a signed entry',
      unit: 'entry',
      op: () => canonicalBytes(nextSample()),
      baseline: 'verify',
    },
    {
      id: 'schema',
      label: '· schema validation of a signed entry',
      unit: 'entry',
      op: () => validateEntry(nextSample()),
      baseline: 'verify',
    },
    {
      id: 'sha256',
      label: '· SHA-256 of a leaf',
      unit: 'entry',
      op: () => backend.sha256(leafSample[s++ % leafSample.length] as Uint8Array),
      baseline: 'verify',
    },
  ];
}

export const suite: BenchSuite = {
  description: 'Ed25519 (node:crypto) raw, and ledger entries signed and verified through the full pipeline',
  setup,
};
