/**
 * dct as the docker CLI plugin `docker-trust` (the name docker 29 gives the
 * `docker trust` commands it moved out of the CLI), and `dct plugin install`.
 *
 * Docker finds plugins as `docker-<name>` executables in `$DOCKER_CONFIG/cli-plugins`
 * (and system folders), asks each for `docker-cli-plugin-metadata`, and runs
 * `docker trust ARGS…` as `docker-trust [docker's global flags] trust ARGS…`
 * (`cli-plugins/manager`). Run directly, `docker-trust ARGS…` is `dct trust ARGS…`.
 * Docker CLI 28 still has its own `trust` command, which takes precedence: there the
 * plugin is listed as invalid ("duplicates builtin command") and never run.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { dockerConfigDir } from '../../adapters/client-config/docker-config-file.js';
import { CliFailure, isCliFailure } from '../cli-failure.js';
import { GLOBAL_FLAGS, lastFlag, parseFlags } from './images/docker-args.js';
import { processIo, type TrustIo } from '../docker-trust/io.js';

import { INVOKED_AS_ENV, PLUGIN_NAME } from '../invocation.js';

export { INVOKED_AS_ENV, PLUGIN_NAME, pluginInvocation } from '../invocation.js';

export function pluginMetadata(version: string): Record<string, string> {
  return {
    SchemaVersion: '0.1.0',
    Vendor: 'dct',
    Version: version,
    ShortDescription: 'Manage trust on Docker images (dct: Docker Content Trust, maintained)',
  };
}

/** docker's `trust` texts name dct; as a plugin they name docker. */
function asDocker(io: TrustIo, env: TrustIo['env']): TrustIo {
  const fix = (t: string) => t.replace(/\bdct trust\b/g, 'docker trust').replace(/(^|\n)dct: /g, '$1docker: ');
  return { ...io, env, out: (t) => io.out(fix(t)), err: (t) => io.err(fix(t)) };
}

/** The `dct trust` commands (`runTrust`), handed in by the composition root: commands do not import each other. */
export type TrustRunner = (argv: readonly string[], io: TrustIo) => Promise<number>;

/** Runs dct as the `docker-trust` plugin (the trust commands with docker's wording); returns the exit code. */
export async function runPlugin(args: readonly string[], io: TrustIo, version: string, runTrust: TrustRunner): Promise<number> {
  if (args[0] === 'docker-cli-plugin-metadata') {
    io.out(JSON.stringify(pluginMetadata(version), null, 2) + '\n');
    return 0;
  }
  // docker passes its own command line: global flags, then `trust`, then trust's arguments
  let parsed;
  try {
    parsed = parseFlags(args, 0, GLOBAL_FLAGS, false, 'global');
  } catch (err) {
    if (!isCliFailure(err, 'usage')) throw err;
    io.err(`${err.message}\n`);
    return 125;
  }
  const config = lastFlag(parsed.flags, 'config');
  const env = typeof config === 'string' ? { ...io.env, DOCKER_CONFIG: resolve(io.cwd, config) } : io.env;
  const at = parsed.positionals[0] ?? args.length;
  const rest = args[at] === 'trust' ? args.slice(at + 1) : args.slice(at);
  return runTrust(rest, asDocker(io, env));
}

/** Where docker looks for the current user's plugins. */
export function defaultPluginDir(env: Readonly<Record<string, string | undefined>>): string {
  return join(dockerConfigDir(env), 'cli-plugins');
}

/**
 * Installs `docker-trust` in `dir`: a symlink to dct's entry point (`entry`, the
 * built JavaScript), or, when dct runs from its TypeScript sources, a small shell
 * script that runs them. Replaces an existing `docker-trust` atomically.
 */
export async function installPlugin(
  dir: string,
  entry: string,
  execPath = process.execPath,
): Promise<{ path: string; target: string; kind: 'symlink' | 'script' }> {
  // docker runs plugins from any folder: the TypeScript loader is named by its full path
  const tsx = entry.endsWith('.ts') ? import.meta.resolve('tsx') : '';
  await mkdir(dir, { recursive: true });
  const path = join(dir, PLUGIN_NAME);
  const tmp = join(dir, `.${PLUGIN_NAME}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    if (entry.endsWith('.ts')) {
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      await writeFile(
        tmp,
        `#!/bin/sh\n# docker CLI plugin docker-trust: dct from its sources (written by dct plugin install)\n${INVOKED_AS_ENV}=${PLUGIN_NAME} exec ${q(execPath)} --import ${q(tsx)} ${q(entry)} "$@"\n`,
        { mode: 0o755 },
      );
      await chmod(tmp, 0o755);
      await rename(tmp, path);
      return { path, target: entry, kind: 'script' };
    }
    await symlink(entry, tmp);
    await rename(tmp, path);
    return { path, target: entry, kind: 'symlink' };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export function registerPluginCommand(program: Command): void {
  const plugin = program.command('plugin').description('the docker CLI plugin docker-trust (docker 29: `docker trust …` runs dct)');
  plugin
    .command('install')
    .description(`install dct as the docker CLI plugin ${PLUGIN_NAME} (a symlink in $DOCKER_CONFIG/cli-plugins or ~/.docker/cli-plugins)`)
    .option('--dir <dir>', 'plugin folder (default: $DOCKER_CONFIG/cli-plugins, else ~/.docker/cli-plugins)')
    .action(async (o: { dir?: string }) => {
      const io = processIo();
      const entry = process.argv[1];
      if (!entry) throw CliFailure.reported(1);
      const dir = o.dir !== undefined ? resolve(io.cwd, o.dir) : defaultPluginDir(io.env);
      const done = await installPlugin(dir, await realpath(entry));
      io.out(`Installed ${done.path} -> ${done.target}\n`);
      io.err(
        'note: docker CLI 29 and later run `docker trust …` through this plugin; docker CLI 28 and earlier keep their built-in `docker trust` and ignore it\n',
      );
    });
}
