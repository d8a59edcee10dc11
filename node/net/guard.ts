/**
 * The outbound-address guard: federation fetches actor documents, keys, WebFinger and inboxes at
 * URLs that remote servers choose, so every address such a fetch would connect to is checked
 * first, and refused unless it is public unicast (SSRF: owncast#5121, Lemmy GHSA-c482-7gjx-pp36).
 * Every resolved address must pass, as in Mastodon's `check_private_address`, and
 * {@link guardedLookup} repeats the check at connect time, so a DNS answer that changes between
 * the check and the connection (rebinding) still cannot reach a private address.
 *
 * `allowPrivateAddress` (CAGNOTTE_ALLOW_PRIVATE_ADDRESS=1) turns the address checks off, for nodes
 * federating on loopback in tests; the scheme check stays.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

/** Why an address is not public. */
export type AddressClass =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'cgnat'
  | 'linkLocal'
  | 'uniqueLocal'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'ipv4Mapped'
  | 'reserved';

/** Why a URL or address was refused. */
export type GuardFailure =
  | { type: 'invalidUrl'; url: string }
  | { type: 'scheme'; scheme: string }
  | { type: 'localName'; hostname: string }
  | { type: 'invalidAddress'; address: string }
  | { type: 'resolveFailed'; hostname: string; code: string }
  | { type: 'nonPublicAddress'; hostname: string; address: string; class: AddressClass };

/** The outcome of a check: the addresses that may be connected to, or why not. */
export type GuardResult = { ok: true; addresses: string[] } | { ok: false; reason: GuardFailure };

/** Options of the checks. */
export interface GuardOptions {
  /** Skip the address checks (local testing only). */
  allowPrivateAddress: boolean;
  /** Resolves a hostname to all its addresses (default: the system resolver). */
  resolve?: (hostname: string) => Promise<string[]>;
}

type Range = readonly [prefix: readonly number[], bits: number, cls: AddressClass | 'embedsV4'];

// Ranges are from the IANA special-purpose address registries; the first match wins.
const V4_RANGES: readonly Range[] = [
  [[0], 8, 'unspecified'],
  [[10], 8, 'private'],
  [[100, 64], 10, 'cgnat'],
  [[127], 8, 'loopback'],
  [[169, 254], 16, 'linkLocal'],
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'reserved'],
  [[192, 0, 2], 24, 'documentation'],
  [[192, 88, 99], 24, 'reserved'],
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'benchmarking'],
  [[198, 51, 100], 24, 'documentation'],
  [[203, 0, 113], 24, 'documentation'],
  [[224], 4, 'multicast'],
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[240], 4, 'reserved'],
];

const V6_RANGES: readonly Range[] = [
  [[], 128, 'unspecified'], // ::, matched exactly (all zero)
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96, 'ipv4Mapped'],
  [[0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96, 'embedsV4'], // NAT64
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'], // local-use NAT64
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0x20, 0x01, 0x00], 23, 'reserved'], // IETF protocol assignments, Teredo among them
  [[0x20, 0x02], 16, 'embedsV4'], // 6to4
  [[0x3f, 0xff], 20, 'documentation'],
  [[0xfc], 7, 'uniqueLocal'],
  [[0xfe, 0x80], 10, 'linkLocal'],
  [[0xfe, 0xc0], 10, 'private'], // deprecated site-local
  [[0xff], 8, 'multicast'],
];

function matches(bytes: Uint8Array, prefix: readonly number[], bits: number): boolean {
  const full = prefix.length === 0 ? new Array<number>(bytes.length).fill(0) : prefix;
  for (let bit = 0; bit < bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((bytes[byte] ?? 0) & mask) !== ((full[byte] ?? 0) & mask)) return false;
  }
  return true;
}

/** Parses a dotted-quad IPv4 address (as `net.isIP` accepts it) to 4 bytes. */
function parseV4(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

/** Parses an IPv6 address (with `::`, an embedded dotted quad, no zone) to 16 bytes. */
function parseV6(address: string): Uint8Array {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseV4(text.slice(lastColon + 1));
    tail.push((v4[0] as number) * 256 + (v4[1] as number), (v4[2] as number) * 256 + (v4[3] as number));
    text = `${text.slice(0, lastColon + 1)}0:0`; // placeholder groups, replaced below
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parseGroups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  let groups: number[];
  if (rest === undefined) {
    groups = parseGroups(head);
  } else {
    const left = parseGroups(head);
    const right = parseGroups(rest);
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  if (tail.length > 0) groups.splice(groups.length - 2, 2, ...tail);
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

function classifyBytes(bytes: Uint8Array): AddressClass | 'public' {
  if (bytes.length === 4) {
    for (const [prefix, bits, cls] of V4_RANGES) if (matches(bytes, prefix, bits)) return cls as AddressClass;
    return 'public';
  }
  for (const [prefix, bits, cls] of V6_RANGES) {
    if (!matches(bytes, prefix, bits)) continue;
    if (cls !== 'embedsV4') return cls;
    // NAT64 and 6to4 reach the IPv4 address they carry: that address decides.
    const v4 = prefix[0] === 0x20 ? bytes.slice(2, 6) : bytes.slice(12, 16);
    return classifyBytes(v4);
  }
  // Only 2000::/3 is global unicast; everything else is unassigned or special.
  return (bytes[0] as number) >> 5 === 1 ? 'public' : 'reserved';
}

/**
 * The class of an IP address literal (IPv4, or IPv6 with an optional `%zone` and brackets), or
 * `'public'`; `undefined` for a string that is not an IP address.
 */
export function classifyAddress(address: string): AddressClass | 'public' | undefined {
  let text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = text.indexOf('%');
  // A zone index only means something for link-local and multicast scopes.
  if (zone >= 0) text = text.slice(0, zone);
  const version = isIP(text);
  if (version === 4) return classifyBytes(parseV4(text));
  if (version === 6) return classifyBytes(parseV6(text));
  return undefined;
}

/** Checks one address literal; `hostname` names it in the failure. */
export function checkAddress(address: string, options: GuardOptions, hostname = address): GuardResult {
  const cls = classifyAddress(address);
  if (cls === undefined) return { ok: false, reason: { type: 'invalidAddress', address } };
  if (cls !== 'public' && !options.allowPrivateAddress) {
    return { ok: false, reason: { type: 'nonPublicAddress', hostname, address, class: cls } };
  }
  return { ok: true, addresses: [address] };
}

function systemResolve(hostname: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      if (error) reject(error);
      else resolve(addresses.map((a) => a.address));
    });
  });
}

/**
 * Checks a hostname (or bracketed/bare IP literal): names under `localhost` are refused without a
 * lookup (RFC 6761), others are resolved and every address must pass.
 */
export async function checkHost(hostname: string, options: GuardOptions): Promise<GuardResult> {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (classifyAddress(host) !== undefined)
    return checkAddress(host.replace(/^\[|\]$/g, ''), options, hostname);
  if (!options.allowPrivateAddress && (host === 'localhost' || host.endsWith('.localhost'))) {
    return { ok: false, reason: { type: 'localName', hostname } };
  }
  let addresses: string[];
  try {
    addresses = await (options.resolve ?? systemResolve)(host);
  } catch (error) {
    return {
      ok: false,
      reason: { type: 'resolveFailed', hostname, code: String((error as { code?: unknown }).code ?? error) },
    };
  }
  if (addresses.length === 0)
    return { ok: false, reason: { type: 'resolveFailed', hostname, code: 'ENOTFOUND' } };
  for (const address of addresses) {
    const result = checkAddress(address, options, hostname);
    if (!result.ok) return result;
  }
  return { ok: true, addresses };
}

/** Checks a URL a fetch is about to follow (each redirect hop too): http(s) only, then its host. */
export async function checkUrl(url: string | URL, options: GuardOptions): Promise<GuardResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: { type: 'invalidUrl', url: String(url) } };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { ok: false, reason: { type: 'scheme', scheme: parsed.protocol } };
  }
  return checkHost(parsed.hostname, options);
}

/** Boolean form of {@link checkUrl}. */
export async function isAllowedUrl(url: string | URL, options: GuardOptions): Promise<boolean> {
  return (await checkUrl(url, options)).ok;
}

/** The error a guarded connection fails with. */
export class PrivateAddressError extends Error {
  override name = 'PrivateAddressError';
  readonly code = 'ERR_PRIVATE_ADDRESS';
  readonly reason: GuardFailure;
  constructor(reason: GuardFailure) {
    super(`refused outbound connection: ${JSON.stringify(reason)}`);
    this.reason = reason;
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `net.connect`, `http.Agent` and `https.Agent`: resolves, refuses if any address
 * is not public, and hands the connection only addresses it checked (the IP is pinned).
 */
export function guardedLookup(options: GuardOptions) {
  return (
    hostname: string,
    lookupOptions: { all?: boolean; family?: number } | number,
    callback: LookupCallback,
  ): void => {
    checkHost(hostname, options).then(
      (result) => {
        if (!result.ok) return callback(new PrivateAddressError(result.reason), '', 0);
        const all = result.addresses.map((address) => ({ address, family: isIP(address) }));
        if (typeof lookupOptions === 'object' && lookupOptions.all) return callback(null, all);
        const first = all[0] as LookupAddress;
        callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
