/**
 * lazyModule: nothing loads until the getter is first called, it loads once (and keeps it), and a package that
 * exports only an `import` entry loads too. The packages are written to a temporary folder, each
 * counting its own evaluations in a global, and are used from a module there, as an adapter
 * would use them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const counts = globalThis as unknown as Record<string, number | undefined>;

describe('lazyModule', () => {
  let dir: string;
  let user: Record<string, () => { name: string }>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dct-lazy-module-'));
    const pkg = (name: string, manifest: object, file: string, source: string) => {
      mkdirSync(join(dir, 'node_modules', name), { recursive: true });
      writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, ...manifest }));
      writeFileSync(join(dir, 'node_modules', name, file), source);
    };
    const count = (key: string) => `globalThis[${JSON.stringify(key)}] = (globalThis[${JSON.stringify(key)}] ?? 0) + 1;`;
    pkg('lazy-cjs', { main: 'index.js' }, 'index.js', `${count('lazyCjsLoads')}\nmodule.exports = { name: 'cjs' };\n`);
    pkg(
      'lazy-esm-only',
      { type: 'module', exports: { '.': { import: './index.js' } } },
      'index.js',
      `${count('lazyEsmLoads')}\nexport const name = 'esm';\n`,
    );
    const helper = new URL('../../src/adapters/lazy-module.ts', import.meta.url).href;
    writeFileSync(
      join(dir, 'user.mjs'),
      `import { lazyModule } from ${JSON.stringify(helper)};\n` +
        `export const cjs = lazyModule('lazy-cjs', import.meta);\n` +
        `export const esm = lazyModule('lazy-esm-only', import.meta, { importOnly: true });\n` +
        `export const esmByRequire = lazyModule('lazy-esm-only', import.meta);\n`,
    );
    user = (await import(pathToFileURL(join(dir, 'user.mjs')).href)) as typeof user;
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads nothing until the getter is called, then the package once', () => {
    assert.equal(counts.lazyCjsLoads, undefined);
    assert.equal(counts.lazyEsmLoads, undefined);
    const first = user.cjs!();
    assert.equal(first.name, 'cjs');
    assert.equal(counts.lazyCjsLoads, 1);
    // the getter keeps what it loaded: dropped from require's cache, it is neither resolved nor run again
    delete createRequire(import.meta.url).cache[join(dir, 'node_modules', 'lazy-cjs', 'index.js')];
    assert.equal(user.cjs!(), first);
    assert.equal(counts.lazyCjsLoads, 1);
    assert.equal(counts.lazyEsmLoads, undefined);
  });

  it('loads a package that exports only `import` when told so (require alone cannot resolve it)', () => {
    assert.throws(() => user.esmByRequire!(), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    const first = user.esm!();
    assert.equal(first.name, 'esm');
    assert.equal(user.esm!(), first);
    assert.equal(counts.lazyEsmLoads, 1);
  });
});
