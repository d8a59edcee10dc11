/**
 * The host reading a member's ledger: a countersign request and a cosigning request on a member
 * whose ledger holds a few thousand entries, in process (two LevelDB stores, the host reading the
 * collective through its LedgerService as it would read its outbox). Each request verifies what
 * the host has not verified before; what it verified is kept per member (node/host/progress.ts).
 * `npm run bench -- host`; MEMBER_ENTRIES sets the ledger's size.
 */

import { approvedExpense, fund, joinHost, type Story, story } from '../../node/host/fixtures.test-helper.ts';
import type { EntryBody } from '../../protocol/entry/types.ts';
import type { BenchCase, BenchSuite } from './harness.ts';

const ENTRIES = Number(process.env.MEMBER_ENTRIES ?? 3000);
const BATCH = 100;

let current: Story | undefined;

async function grow(s: Story, count: number): Promise<void> {
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    // Concurrent appends share the writer's fsyncs: building the ledger takes seconds, not minutes.
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s.collective.append(
          { kind: 'Update', title: `News ${done + i}`, body: 'The café is open on Saturday.' } as EntryBody,
          'admin-carla',
        ),
      ),
    );
  }
}

/** The suite. */
export const suite: BenchSuite = {
  description: `host requests on a member of ${ENTRIES.toLocaleString('en-US')} entries: countersign (again, and after one new entry) and cosign after one new entry`,
  async setup(): Promise<BenchCase[]> {
    const s = await story({ teardown: () => undefined });
    current = s;
    await joinHost(s);
    await fund(s, '500.00');
    const expense = await approvedExpense(s, '50.00');
    await grow(s, ENTRIES);
    const collective = s.collective.actor.id;
    const request = () => s.host.countersigning.request({ collective, expense });
    await request();
    let n = 0;
    const update = () =>
      s.collective.append(
        { kind: 'Update', title: `Later ${n++}`, body: 'More news.' } as EntryBody,
        'admin-carla',
      );
    let cosigned = (await s.host.witness.cosign({ collective, ...(await s.side.cosignRequest(0)) })).size;
    return [
      {
        id: 'append',
        label: 'one Update appended (the cost inside the cases below)',
        op: update,
        unit: 'request',
      },
      { id: 'again', label: 'countersign request, ledger unchanged', op: request, unit: 'request' },
      {
        id: 'grown',
        label: 'one Update appended, then a countersign request',
        op: async () => {
          await update();
          await request();
        },
        unit: 'request',
      },
      {
        id: 'cosign',
        label: 'one Update appended, then a cosigning request',
        op: async () => {
          await update();
          cosigned = (await s.host.witness.cosign({ collective, ...(await s.side.cosignRequest(cosigned)) }))
            .size;
        },
        unit: 'request',
      },
    ];
  },
  async teardown() {
    await current?.cleanup();
  },
};
