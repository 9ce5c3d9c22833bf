/** What pem-block.test.ts runs under the hang guard (test/support/hang-guard.ts). */
import { decodePem } from '../../../src/adapters/cosign/pem-block.js';

/** the type of the block cosign's PEM reader takes, or null */
export const cosignPemType = (text: string): string | null => decodePem(text)?.type ?? null;
