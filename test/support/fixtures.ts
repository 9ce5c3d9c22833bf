/** Locates ../shared (beside the project root) and the fixture corpora in it. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DIR = resolve(process.env['DCT_SHARED_DIR'] ?? join(PROJECT_ROOT, '..', 'shared'));
if (!existsSync(join(SHARED_DIR, 'fixtures'))) {
  throw new Error(
    `test fixtures not found in ${SHARED_DIR}: the tests need shared/ beside the project (as CI has it), or DCT_SHARED_DIR pointing at it`,
  );
}

export function fixturePath(...parts: string[]): string {
  return join(SHARED_DIR, 'fixtures', ...parts);
}

export function readFixture(...parts: string[]): Buffer {
  return readFileSync(fixturePath(...parts));
}

/** All files below `dir`, as paths relative to it (sorted). */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** The notary-0.7 fixture cases that hold a repository (those with a server/ folder). */
export function notaryCases(): string[] {
  const root = fixturePath('notary-0.7');
  return readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'server', 'root.json')))
    .sort();
}

/** The role a served metadata file path stands for: `targets/releases.json` → `targets/releases`. */
export function roleOfServedPath(path: string): string {
  const base = path.replace(/^versions\/\d+\./, '').replace(/^by-checksum\//, '');
  return base.replace(/\.[0-9a-f]{64}\.json$/, '').replace(/\.json$/, '');
}
