/**
 * How the two ledgers of one movement of money name each other (double entry across two nodes).
 * The host appends its own entry first (a `Transfer` whose `counterparty` is the collective, `in`
 * for money received, `out` for a payout), then signs the object the collective embeds; that
 * object's `memo` ends with ` host-entry <leaf hash>` naming the host's entry. The host's memo
 * names the collective's side: the pledge reference for money in, the expense's leaf hash for a
 * payout. An auditor reconciles by following these, both ways.
 */

const HOST_ENTRY = / host-entry ([0-9a-f]{64})$/;

/** The memo of a host-signed object: what people read, then the host entry's leaf hash. */
export function linkedMemo(text: string, hostEntry: string): string {
  if (!/^[0-9a-f]{64}$/.test(hostEntry)) throw new TypeError('a host entry is named by its hex leaf hash');
  return `${text.trim()} host-entry ${hostEntry}`;
}

/** The host entry's leaf hash a host-signed object's memo names, or undefined. */
export function linkedHostEntry(memo: string | undefined): string | undefined {
  return memo === undefined ? undefined : HOST_ENTRY.exec(memo)?.[1];
}

/** The memo of the host's `Transfer in` for money received under a pledge reference. */
export function receivedMemo(reference: string): string {
  return `received ${reference}`;
}

/** The memo of the host's `Transfer out` paying an expense (its leaf hash) with a payout reference. */
export function payoutMemo(expense: string, payoutReference: string): string {
  return `payout ${expense} ${payoutReference.trim()}`;
}

/** What a host `Transfer` memo says: a receipt's reference or a payout's expense, or undefined. */
export function parseHostMemo(
  memo: string | undefined,
):
  | { type: 'received'; reference: string }
  | { type: 'payout'; expense: string; reference: string }
  | undefined {
  if (memo === undefined) return undefined;
  const received = /^received (\S+)$/.exec(memo);
  if (received !== null) return { type: 'received', reference: received[1] as string };
  const payout = /^payout ([0-9a-f]{64}) (.+)$/.exec(memo);
  if (payout !== null)
    return { type: 'payout', expense: payout[1] as string, reference: payout[2] as string };
  return undefined;
}
