/**
 * A folder to put first on PATH in which `dct` is this checkout's command line, for tests that
 * run shell text as a user types it. The CLI is bundled as `npm run build` bundles it
 * (scripts/bundle-cli.mjs) into a throwaway copy of the package's shape (package.json, and
 * node_modules, assets/ and schema/ linked), so each command starts in a fraction of a second,
 * on the Node running the test; without esbuild, `dct` is a script running the TypeScript sources through tsx.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './fixtures.js';

export interface DctOnPath {
  /** the folder holding `dct` */
  bin: string;
  cleanup(): void;
}

export async function dctOnPath(): Promise<DctOnPath> {
  const dir = mkdtempSync(join(tmpdir(), 'dct-on-path-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const app = join(dir, 'app');
  try {
    await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'scripts', 'bundle-cli.mjs'), join(app, 'dist', 'bin')], {
      timeout: 120_000,
    });
    copyFileSync(join(PROJECT_ROOT, 'package.json'), join(app, 'package.json'));
    for (const linked of ['node_modules', 'assets', 'schema']) symlinkSync(join(PROJECT_ROOT, linked), join(app, linked));
    writeFileSync(join(bin, 'dct'), `#!/bin/sh\nexec ${process.execPath} ${join(app, 'dist', 'bin', 'main.js')} "$@"\n`, { mode: 0o755 });
  } catch {
    const loader = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
    writeFileSync(
      join(bin, 'dct'),
      `#!/bin/sh\nexec ${process.execPath} --import ${loader} ${join(PROJECT_ROOT, 'src', 'cli', 'main.ts')} "$@"\n`,
      {
        mode: 0o755,
      },
    );
  }
  return { bin, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
