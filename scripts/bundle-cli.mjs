#!/usr/bin/env node
/**
 * Bundles the dct command line into OUTDIR (default dist/bin): main.js with a
 * chunk per command group (each loaded when used), and trust-cli.bundle.js,
 * the `dct trust` commands in one self-contained file (main.js loads it for
 * trust command lines). Packages stay in node_modules. Used by `npm run build`
 * and by the benches, so that what is measured is what is installed.
 *
 * Usage: node scripts/bundle-cli.mjs [OUTDIR]
 */
import { chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(process.argv[2] ?? join(root, 'dist', 'bin'));
const common = { bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning', absWorkingDir: root };

await build({ ...common, entryPoints: [join(root, 'src/cli/main.ts')], splitting: true, outdir });
await build({ ...common, entryPoints: [join(root, 'src/cli/trust-cli.ts')], outfile: join(outdir, 'trust-cli.bundle.js') });
chmodSync(join(outdir, 'main.js'), 0o755);
