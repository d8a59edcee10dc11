/**
 * The server's and the auditor's {@link CryptoBackend}: libsodium's Ed25519 where sodium-native
 * loads (sodium.ts, about twice OpenSSL's speed), node:crypto's otherwise (openssl.ts). Both give
 * exactly the noble backend's answers, so a ledger verified here verifies in the browser too;
 * node/crypto/native.test.ts runs RFC 8032 and all Wycheproof cases against each. Benchmarks
 * keep measuring their raw Ed25519 baseline with `opensslBackend`, the reference they were
 * written against.
 */
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { opensslBackend } from './openssl.ts';
import { sodiumBackend, sodiumLoadError } from './sodium.ts';

export { opensslBackend, sodiumBackend, sodiumLoadError };

/** libsodium when it loads, else node:crypto: the same answers, the faster one. */
export const nativeBackend: CryptoBackend = sodiumBackend ?? opensslBackend;
