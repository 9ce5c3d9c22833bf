/**
 * The dependency rules of src/, as a function over source texts so that the rules
 * themselves can be tested on made-up files (test/architecture.test.ts).
 *
 * pure `core` ← `adapters` ← use cases in `app` ← thin front ends (`cli`, `server`, `signer`,
 * `webhook`):
 * - core imports node:crypto and itself only;
 * - adapters import no app, cli, server, signer or webhook;
 * - app imports no adapters (it reaches them through ports), cli, server, signer or webhook;
 * - server imports no cli or webhook; signer no cli, server or webhook; webhook no cli, server or signer;
 * - cli reaches server, signer and webhook only through their entry points (`CLI_ENTRY_POINTS`);
 * - a command (a file or folder of src/cli/commands) imports no other command,
 *   except for the `COMMAND_EXCEPTIONS` below, each with its reason.
 */
import { posix } from 'node:path';

export interface SourceFile {
  /** path inside src/, with forward slashes: `cli/commands/trust/sign.ts` */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  /** the import as written */
  spec: string;
  rule: string;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Layers and the layers each must not import. */
export const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  adapters: ['app', 'cli', 'server', 'signer', 'webhook'],
  app: ['adapters', 'cli', 'server', 'signer', 'webhook'],
  server: ['cli', 'webhook'],
  signer: ['cli', 'server', 'webhook'],
  webhook: ['cli', 'server', 'signer'],
};

/** What the CLI may import of the other front ends: their start functions and what `dct server`/`dct signer` configure them with. */
export const CLI_ENTRY_POINTS: Readonly<Record<string, string>> = {
  'server/start-server.ts': 'starts the server (`dct server`)',
  'server/cluster.ts': 'starts the server as a cluster of workers (`dct server --workers`)',
  'server/config.ts': "the server's configuration file and flags (`dct server`)",
  'server/registry/gc-command.ts': "the embedded registry's garbage collection (`dct server gc`)",
  'signer/signer-service.ts': 'starts the signer service (`dct signer`)',
  'webhook/start-webhook.ts': 'starts the Kubernetes admission webhook (`dct admission`)',
};

/** Imports between commands that must stay for now: `from → to`, with the reason. */
export const COMMAND_EXCEPTIONS: Readonly<Record<string, string>> = {
  'cli/commands/plugin.ts → cli/commands/images/docker-args.ts':
    "docker's global flags (--config…) come before `trust` in a plugin's command line; docker-args.ts is docker's flag grammar, " +
    'which moves out of the images folder when the pflag grammar of trust/args.ts, notary/cobra.ts and docker-args.ts is made one (issue 11 §2)',
};

export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push((m[1] ?? m[2]) as string);
  return out;
}

/** The path inside src/ an import lands on (`.ts` for `.js`), or undefined for packages and node builtins. */
export function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts');
}

/** The top-level folder of a path inside src/ ('' for files at the top). */
export function layerOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 1 ? (parts[0] as string) : '';
}

/** The command a path belongs to (`trust` for cli/commands/trust/sign.ts, `push` for cli/commands/push.ts), if any. */
export function commandOf(path: string): string | undefined {
  const m = /^cli\/commands\/([^/]+?)(?:\.ts)?(?:\/|$)/.exec(path);
  return m?.[1];
}

export function checkDependencies(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const { path, text } of files) {
    const layer = layerOf(path);
    for (const spec of importsOf(text)) {
      const target = resolveImport(path, spec);
      const add = (rule: string) => violations.push({ file: path, spec, rule });
      if (layer === 'core') {
        if (spec !== 'node:crypto' && (target === undefined || layerOf(target) !== 'core')) add('core imports only node:crypto and core');
        continue;
      }
      if (target === undefined) continue;
      const to = layerOf(target);
      if (FORBIDDEN[layer]?.includes(to)) add(`${layer} does not import ${to}`);
      if (layer === 'cli' && (to === 'server' || to === 'signer' || to === 'webhook') && !Object.hasOwn(CLI_ENTRY_POINTS, target)) {
        add(`cli reaches ${to} only through its entry points (${Object.keys(CLI_ENTRY_POINTS).join(', ')})`);
      }
      const command = commandOf(path);
      const other = commandOf(target);
      if (command !== undefined && other !== undefined && other !== command && !Object.hasOwn(COMMAND_EXCEPTIONS, `${path} → ${target}`)) {
        add('a command does not import another command: move what they share out of src/cli/commands');
      }
    }
  }
  return violations;
}
