/**
 * How dct was invoked, decided from argv alone before any command module loads:
 * as `notary` (a symlink or copy of that name, or `dct notary …`) or as the
 * docker CLI plugin `docker-trust`.
 */
import { basename } from 'node:path';

export const PLUGIN_NAME = 'docker-trust';
/** set by the wrapper script `dct plugin install` writes when dct runs from its TypeScript sources */
export const INVOKED_AS_ENV = 'DCT_INVOKED_AS';

function programName(argv: readonly string[]): string {
  return basename(argv[1] ?? '').replace(/\.(c|m)?js$|\.ts$/, '');
}

/** The notary arguments of a command line (`process.argv`), or undefined when it is not a notary invocation. */
export function notaryInvocation(argv: readonly string[]): string[] | undefined {
  if (programName(argv) === 'notary') return argv.slice(2);
  if (argv[2] === 'notary') return argv.slice(3);
  return undefined;
}

/** The plugin's arguments when dct runs as `docker-trust`, else undefined. */
export function pluginInvocation(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] | undefined {
  if (programName(argv) === PLUGIN_NAME || env[INVOKED_AS_ENV] === PLUGIN_NAME) return argv.slice(2);
  return undefined;
}
