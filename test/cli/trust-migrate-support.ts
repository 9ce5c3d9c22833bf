/** What the trust migrate tests share: the root version a client's trust dir cached. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The root version `trustDir` cached for `gun` (what the client last trusted). */
export function cachedRootVersion(trustDir: string, gun: string): number {
  const root = JSON.parse(readFileSync(join(trustDir, 'tuf', gun, 'metadata', 'root.json'), 'utf8')) as { signed: { version: number } };
  return root.signed.version;
}
