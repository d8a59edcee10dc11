import { readFileSync } from 'node:fs';
import { preloadedContexts } from '@fedify/fedify/runtime';
import t from 'tap';
import ts from 'typescript';
import { CAGNOTTE_CONTEXT, CAGNOTTE_CONTEXT_DOCUMENT, CAGNOTTE_VOCAB } from './context.ts';
import { ACTIVITYSTREAMS_CONTEXT, DATA_INTEGRITY_CONTEXT, ENTRY_CONTEXT } from './entry/types.ts';

// jsonld ships no types; this is the one call the test needs.
type Expand = (
  doc: unknown,
  options: { documentLoader: (url: string) => Promise<unknown> },
) => Promise<unknown>;
const jsonld = (await import('jsonld' as string)).default as { expand: Expand };

const fileText = readFileSync(new URL('./context.jsonld', import.meta.url), 'utf8');
const ours = CAGNOTTE_CONTEXT_DOCUMENT['@context'] as Record<string, unknown>;
const asTerms = (preloadedContexts[ACTIVITYSTREAMS_CONTEXT] as { '@context': Record<string, unknown> })[
  '@context'
];
const diTerms = (preloadedContexts[DATA_INTEGRITY_CONTEXT] as { '@context': Record<string, unknown> })[
  '@context'
];

t.test('the .jsonld file and the TypeScript constant are the same document', async (t) => {
  t.equal(CAGNOTTE_CONTEXT, 'https://w3id.org/cagnotte/v1');
  t.equal(ENTRY_CONTEXT[2], CAGNOTTE_CONTEXT, 'third context of every entry');
  // Same keys in the same order, same values: a byte comparison of the re-serialized documents.
  t.equal(JSON.stringify(JSON.parse(fileText)), JSON.stringify(CAGNOTTE_CONTEXT_DOCUMENT));
  t.equal(ours['@version'], 1.1);
  // Not @protected: a signed entry's proof re-applies the same context array (Mastodon requires
  // proof @context = document @context), and ActivityStreams' `items`/`prev`/`origin` would then
  // count as redefinitions of ours. Verifiers hash bytes (JCS), so nothing rests on protection.
  t.notOk('@protected' in ours);
  t.equal(ours.cg, CAGNOTTE_VOCAB);
});

// The field names of each entry kind, read from the type declarations themselves, so that a field
// added to types.ts without a term here fails this test.
function entryFields(): { kind: string; fields: string[]; nested: Record<string, string[]> }[] {
  const path = new URL('./entry/types.ts', import.meta.url);
  const source = ts.createSourceFile('types.ts', readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  });
  const names = (members: ts.NodeArray<ts.TypeElement>) =>
    members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier | ts.StringLiteral).text);
  const nestedOf = (members: ts.NodeArray<ts.TypeElement>) => {
    const nested: Record<string, string[]> = {};
    for (const member of members.filter(ts.isPropertySignature)) {
      let type = member.type;
      if (type && ts.isArrayTypeNode(type)) type = type.elementType;
      if (type && ts.isTypeLiteralNode(type))
        nested[(member.name as ts.Identifier).text] = names(type.members);
    }
    return nested;
  };
  const envelope = interfaces.get('Envelope');
  const kinds = interfaces.get('KindFields');
  const hostSigned = interfaces.get('HostSigned');
  if (!envelope || !kinds || !hostSigned) throw new Error('types.ts no longer declares Envelope/KindFields');
  const out = [
    { kind: 'Envelope', fields: names(envelope.members), nested: {} },
    { kind: 'HostSigned', fields: names(hostSigned.members), nested: {} },
  ];
  for (const member of kinds.members.filter(ts.isPropertySignature)) {
    const type = member.type;
    if (!type || !ts.isTypeLiteralNode(type)) throw new Error('a kind is not a type literal');
    out.push({
      kind: (member.name as ts.Identifier).text,
      fields: names(type.members),
      nested: nestedOf(type.members),
    });
  }
  return out;
}

// The fields of each host message type (protocol/host/messages.ts), read the same way.
function messageFields(): { kind: string; fields: string[] }[] {
  const path = new URL('./host/messages.ts', import.meta.url);
  const source = ts.createSourceFile('messages.ts', readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  let declaration: ts.InterfaceDeclaration | undefined;
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === 'HostMessageFields') declaration = node;
  });
  if (declaration === undefined) throw new Error('messages.ts no longer declares HostMessageFields');
  return declaration.members.filter(ts.isPropertySignature).map((member) => {
    const type = member.type;
    if (!type || !ts.isTypeLiteralNode(type)) throw new Error('a message type is not a type literal');
    return {
      kind: (member.name as ts.Identifier).text,
      fields: type.members
        .filter(ts.isPropertySignature)
        .map((m) => (m.name as ts.Identifier | ts.StringLiteral).text),
    };
  });
}

const kinds = entryFields();
const messages = messageFields();
const RESERVED = new Set(['@context', 'id', 'type']);

t.test(
  'every field of every entry kind is a term of ours, of ActivityStreams or of Data Integrity',
  async (t) => {
    t.ok(kinds.length >= 17, `${kinds.length} shapes read from types.ts`);
    for (const { kind, fields, nested } of kinds) {
      for (const field of fields) {
        if (RESERVED.has(field)) continue;
        const where = [ours[field] && 'cagnotte', asTerms[field] && 'as', diTerms[field] && 'di'].filter(
          Boolean,
        );
        t.ok(where.length > 0, `${kind}.${field} is defined (${where.join(', ')})`);
      }
      for (const [parent, children] of Object.entries(nested)) {
        const scoped = (ours[parent] as { '@context'?: Record<string, unknown> })['@context'] ?? {};
        for (const child of children) {
          t.ok(scoped[child] ?? ours[child] ?? asTerms[child], `${kind}.${parent}[].${child} is defined`);
        }
      }
    }
  },
);

t.test('every host message type and every field of it is a term of ours', async (t) => {
  t.same(
    messages.map((m) => m.kind),
    ['HostApplication', 'HostMembership', 'CountersignRefusal'],
  );
  for (const { kind, fields } of messages) {
    t.equal(ours[kind], `cg:${kind}`, `${kind} is a type of ours`);
    for (const field of fields) t.ok(ours[field], `${kind}.${field} is defined`);
  }
});

t.test('ours redefines only the ActivityStreams terms that entries use with another meaning', async (t) => {
  // `xsd` is a prefix both define identically; anything else in both is a redefinition.
  const clashes = Object.keys(ours).filter((term) => term in asTerms && ours[term] !== asTerms[term]);
  t.same(clashes.sort(), ['items', 'origin', 'prev'], 'as:items, as:origin, as:prev are IRIs; ours are not');
  for (const term of ['name', 'startTime', 'endTime', 'location', 'mediaType', 'content', 'published']) {
    t.notOk(term in ours, `${term} keeps its ActivityStreams meaning`);
  }
  for (const term of Object.keys(diTerms).filter((k) => !k.startsWith('@')))
    t.notOk(term in ours, `${term} is Data Integrity's (protected)`);
});

// A value for every field name, so each kind can be expanded as a whole entry.
const SAMPLES: Record<string, unknown> = {
  id: 'https://example.org/c/x/ledger/3',
  type: 'Note',
  attributedTo: 'https://example.org/c/x',
  to: ['https://www.w3.org/ns/activitystreams#Public'],
  published: '2026-01-02T03:04:05Z',
  content: '<p>A sentence.</p>',
  seq: 3,
  prev: 'ab'.repeat(32),
  by: 'https://example.org/u/alice',
  actorType: 'Group',
  name: 'Food not bombs',
  currency: 'EUR',
  ledgerKey: 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
  checkpointKey: 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
  hostKey: 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
  origin: 'example.org/c/x',
  host: 'https://host.example/h',
  collective: 'https://example.org/c/x',
  feeBasisPoints: 500,
  amount: '25.00',
  contributor: 'Bob',
  message: 'Keep going',
  expenseType: 'invoice',
  title: 'Stove',
  payee: 'Hardware shop',
  items: [{ description: 'Gas stove', amount: '25.00', incurredOn: '2026-01-01' }],
  commitments: { payout: 'cd'.repeat(32), email: 'ef'.repeat(32) },
  attachments: [{ sha256: '01'.repeat(32), mediaType: 'application/pdf', size: 1234 }],
  expense: '23'.repeat(32),
  comment: 'Fine',
  contribution: '45'.repeat(32),
  reason: 'Duplicate',
  direction: 'out',
  counterparty: 'https://example.org/c/y',
  memo: 'Shared van',
  collectiveKey: 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2',
  application: '67'.repeat(32),
  terms: '89'.repeat(32),
  reference: '+++090/9337/55493+++',
  hostEntry: 'ab'.repeat(32),
  decision: 'accepted',
  code: 'insufficientBalance',
  body: 'News',
  startTime: '2026-02-01T18:00:00Z',
  endTime: '2026-02-01T21:00:00Z',
  timeZone: 'Europe/Brussels',
  place: 'Maison du Peuple, Brussels',
  description: 'A meal',
};
function hostSigned(type: string): Record<string, unknown> {
  return {
    type,
    host: SAMPLES.host,
    collective: SAMPLES.collective,
    amount: '25.00',
    currency: 'EUR',
    ...(type === 'ExpenseCountersignature' ? {} : { hostEntry: SAMPLES.hostEntry }),
  };
}
SAMPLES.receipt = hostSigned('Receipt');
SAMPLES.countersignature = hostSigned('ExpenseCountersignature');
SAMPLES.payout = hostSigned('Payout');

async function documentLoader(url: string) {
  const document = url === CAGNOTTE_CONTEXT ? CAGNOTTE_CONTEXT_DOCUMENT : preloadedContexts[url];
  if (!document) throw new Error(`no offline copy of ${url}`);
  return { contextUrl: null, documentUrl: url, document };
}

type Expanded = Record<string, unknown>[];

function properties(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) properties(item, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (!key.startsWith('@')) out.add(key);
      properties(value, out);
    }
  }
  return out;
}

t.test('every kind expands with the three contexts, with no term left undefined', async (t) => {
  for (const { kind, fields } of kinds.filter((k) => k.kind !== 'Envelope' && k.kind !== 'HostSigned')) {
    const entry: Record<string, unknown> = { '@context': [...ENTRY_CONTEXT], kind };
    for (const field of [...(kinds[0]?.fields ?? []), ...fields]) {
      if (field === '@context' || field === 'kind' || field === 'proof') continue;
      t.ok(field in SAMPLES, `a sample value for ${kind}.${field}`);
      entry[field] = SAMPLES[field];
    }
    const expanded = (await jsonld.expand(entry, { documentLoader })) as Expanded;
    const iris = [...properties(expanded)];
    // ActivityStreams maps unknown terms to blank-node IRIs (`@vocab: "_:"`) instead of dropping them.
    t.same(
      iris.filter((iri) => iri.startsWith('_:')),
      [],
      `${kind}: no undefined term`,
    );
    t.ok(iris.includes(`${CAGNOTTE_VOCAB}kind`), `${kind}: kind expands into our vocabulary`);
  }
});

t.test('every host message expands on its own, with no term left undefined', async (t) => {
  for (const { kind, fields } of messages) {
    const message: Record<string, unknown> = { '@context': [...ENTRY_CONTEXT], type: kind };
    for (const field of fields) {
      t.ok(field in SAMPLES, `a sample value for ${kind}.${field}`);
      message[field] = SAMPLES[field];
    }
    const [node] = (await jsonld.expand(message, { documentLoader })) as Expanded;
    const iris = [...properties(node)];
    t.same(
      iris.filter((iri) => iri.startsWith('_:')),
      [],
      `${kind}: no undefined term`,
    );
    t.same((node as Record<string, unknown>)['@type'], [`${CAGNOTTE_VOCAB}${kind}`], `${kind} is a cg type`);
  }
});

t.test('terms expand to the intended IRIs and datatypes', async (t) => {
  const entry = {
    '@context': [...ENTRY_CONTEXT],
    type: 'Note',
    seq: 3,
    prev: SAMPLES.prev,
    amount: '0.10',
    actorType: 'Group',
    host: SAMPLES.host,
    ledgerKey: SAMPLES.ledgerKey,
    items: SAMPLES.items,
    commitments: SAMPLES.commitments,
    payout: SAMPLES.payout,
  };
  const [node] = (await jsonld.expand(entry, { documentLoader })) as Expanded;
  const cg = (term: string) => (node as Record<string, unknown>)[`${CAGNOTTE_VOCAB}${term}`];
  t.same(cg('seq'), [{ '@value': 3, '@type': 'http://www.w3.org/2001/XMLSchema#integer' }]);
  t.same(cg('prev'), [{ '@value': SAMPLES.prev }], 'prev is a literal hash, not as:prev');
  t.same(cg('amount'), [{ '@value': '0.10', '@type': 'http://www.w3.org/2001/XMLSchema#decimal' }]);
  t.same(cg('actorType'), [{ '@id': 'https://www.w3.org/ns/activitystreams#Group' }]);
  t.same(cg('host'), [{ '@id': SAMPLES.host }]);
  t.same(cg('ledgerKey'), [{ '@value': SAMPLES.ledgerKey, '@type': 'https://w3id.org/security#multibase' }]);
  const items = cg('items') as [{ '@list': Record<string, unknown>[] }];
  t.ok(items[0]['@list'][0]?.[`${CAGNOTTE_VOCAB}incurredOn`], 'items is an ordered list of lines');
  const commitments = (cg('commitments') as Record<string, unknown>[])[0] as Record<string, unknown>;
  t.same(commitments[`${CAGNOTTE_VOCAB}payoutCommitment`], [{ '@value': 'cd'.repeat(32) }]);
  t.same(commitments[`${CAGNOTTE_VOCAB}emailCommitment`], [{ '@value': 'ef'.repeat(32) }]);
  const payout = (cg('payout') as Record<string, unknown>[])[0] as Record<string, unknown>;
  t.same(payout['@type'], [`${CAGNOTTE_VOCAB}Payout`], 'the embedded payout record is a cg:Payout');
  t.same(
    payout[`${CAGNOTTE_VOCAB}hostEntry`],
    [{ '@value': SAMPLES.hostEntry }],
    'a payout names the host entry as a literal hash',
  );
  const [member] = (await jsonld.expand(
    { '@context': [...ENTRY_CONTEXT], type: 'Note', collectiveKey: SAMPLES.collectiveKey },
    { documentLoader },
  )) as Expanded;
  t.same((member as Record<string, unknown>)[`${CAGNOTTE_VOCAB}collectiveKey`], [
    { '@value': SAMPLES.collectiveKey, '@type': 'https://w3id.org/security#multibase' },
  ]);
});

t.test('a signed entry expands: its proof re-applies the entry context without a clash', async (t) => {
  const entry = {
    '@context': [...ENTRY_CONTEXT],
    type: 'Note',
    prev: 'ab'.repeat(32),
    items: [{ description: 'Gas stove', amount: '25.00', incurredOn: '2026-01-01' }],
    proof: {
      '@context': [...ENTRY_CONTEXT],
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-jcs-2022',
      verificationMethod: 'https://example.org/c/x#ledger-key-0',
      proofPurpose: 'assertionMethod',
      created: '2026-01-02T03:04:05Z',
      proofValue: 'z3FXQ',
    },
  };
  const [expanded] = (await jsonld.expand(entry, { documentLoader })) as Record<string, unknown>[];
  t.same((expanded as Record<string, unknown>)[`${CAGNOTTE_VOCAB}prev`], [{ '@value': 'ab'.repeat(32) }]);
  t.ok((expanded as Record<string, unknown>)['https://w3id.org/security#proof'], 'the proof expands too');
});
