/** What trust-bundle-pem.test.ts runs under the hang guard (test/support/hang-guard.ts). */
import { parseTrustBundle } from '../../../src/server/auth/bearer-auth.js';

/** how many keys a token-signing bundle holds */
export const trustBundleKeys = (pem: string): number => parseTrustBundle(pem).keys.length;
