/**
 * What `dct trust migrate` prints: a line per repository, the counts, and what clients
 * must do — point at the new server; under `--new-root` also forget each repository
 * (docker's and notary's cached root pins trust: a client refuses a root its cached
 * root did not sign) and, for notary, optionally pin the new root key instead of trusting
 * it on first use (`trust_pinning.certs`: GUN → the key ID in root.json). The same steps
 * go into `--format json` as `clients`.
 */
import type { MigrationOutcome } from '../../../app/trust-migrate/migrate-repository.js';
import type { TrustIo } from '../../docker-trust/io.js';

export interface ClientSteps {
  /** shell lines, in order, to paste on each client */
  commands: string[];
  /** notary's `trust_pinning` (merge into its config.json) for the new roots; absent on a dry run */
  trustPinning?: { certs: Record<string, string[]> };
}

/** `rm -rf` of the cached trust data of `gun` for docker (its DOCKER_CONFIG) and for notary (its default trust dir). */
export function forgetCommands(gun: string): string[] {
  return [`rm -rf "\${DOCKER_CONFIG:-$HOME/.docker}/trust/tuf/${gun}"`, `rm -rf ~/.notary/tuf/${gun}`];
}

export function clientSteps(destination: string, outcomes: readonly MigrationOutcome[]): ClientSteps {
  const commands = [`export DOCKER_CONTENT_TRUST_SERVER=${destination}`];
  const reRooted = outcomes.filter((o) => o.newRoot && o.status !== 'failed');
  for (const o of reRooted) commands.push(...forgetCommands(o.gun));
  const certs: Record<string, string[]> = {};
  for (const o of reRooted) if (o.newRoot?.rootKeyId) certs[o.gun] = [o.newRoot.rootKeyId];
  return Object.keys(certs).length > 0 ? { commands, trustPinning: { certs } } : { commands };
}

function outcomeLine(o: MigrationOutcome): string {
  const roots = o.roots.length > 0 ? `root chain v${o.roots[0]}..v${o.roots[o.roots.length - 1]}, ` : '';
  const what = `${roots}${o.tags} ${o.tags === 1 ? 'tag' : 'tags'}`;
  const underNew = o.newRoot ? ` under ${o.newRoot.keyId ? `new root key ${o.newRoot.keyId}` : 'a new root key'}` : '';
  switch (o.status) {
    case 'migrated':
      return `${o.gun}: migrated${underNew} (${what}; ${o.rotated.join(' and ')} rotated to the destination's keys, root v${o.destinationRoot})`;
    case 'would-migrate':
      return `${o.gun}: would migrate${underNew} (${what})`;
    case 'updated':
      return `${o.gun}: updated${underNew}, ${o.reason} (${what})`;
    case 'would-update':
      return `${o.gun}: would update${underNew}, ${o.reason} (${what})`;
    case 'skipped':
      return `${o.gun}: skipped, ${o.reason} (${what})`;
    default:
      return `${o.gun}: FAILED: ${o.reason} [${o.code}]`;
  }
}

const KEPT_ROOT = 'Clients: nothing to re-trust (the root is kept; they see a key rotation). Point them at the new server:\n';
const NEW_ROOT = (dryRun: boolean) =>
  `Clients: the root ${dryRun ? 'will change' : 'changed'}; a client that trusted the old root refuses the new one until it forgets the repository.\n` +
  `${dryRun ? 'After the run, on' : 'On'} each client (docker; notary with its default trust dir ~/.notary):\n`;

export function report(io: TrustIo, destination: string, outcomes: readonly MigrationOutcome[], dryRun: boolean, newRoot: boolean): void {
  for (const o of outcomes) io.out(`${outcomeLine(o)}\n`);
  const count = (s: string) => outcomes.filter((o) => o.status === s).length;
  io.out(
    dryRun
      ? `Dry run: ${count('would-migrate')} to migrate, ${count('would-update')} to update, ${count('skipped')} already there, ${count('failed')} failed\n`
      : `${count('migrated')} migrated, ${count('updated')} updated, ${count('skipped')} skipped, ${count('failed')} failed\n`,
  );
  const steps = clientSteps(destination, outcomes);
  const indent = (lines: readonly string[]) => lines.map((l) => `  ${l}\n`).join('');
  if (newRoot && steps.commands.length > 1) {
    io.out(`${NEW_ROOT(dryRun)}${indent(steps.commands)}`);
    if (steps.trustPinning) {
      io.out(
        'Notary clients may pin the new root instead of trusting it on first use; merge into their config.json:\n' +
          indent([JSON.stringify({ trust_pinning: steps.trustPinning })]),
      );
    } else if (dryRun) io.out('The root key IDs to pin (notary trust_pinning) are printed by the run.\n');
  } else if (!newRoot && !dryRun && count('migrated') + count('updated') + count('skipped') > 0)
    io.out(`${KEPT_ROOT}${indent(steps.commands)}`);
  if (count('failed') > 0) io.out('Rerun the same command to finish: what is already at the destination is skipped.\n');
}
