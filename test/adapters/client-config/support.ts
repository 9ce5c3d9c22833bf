import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

export const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A temporary folder made before the file's tests and removed after them; `work.dir` is its path. */
export function useWorkDir(prefix: string): { readonly dir: string } {
  const work = { dir: '' };
  before(() => {
    work.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => rmSync(work.dir, { recursive: true, force: true }));
  return work;
}

/** `<work>/<name>/config.json` holding `config` (a string as is, else as JSON); returns the folder. */
export function configDir(work: { readonly dir: string }, name: string, config: unknown): string {
  const dir = join(work.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}
