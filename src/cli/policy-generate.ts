/**
 * `dct policy generate GUN|IMAGE… [--bundle FILE] [--cosign-key FILE…] [--no-tlog]
 * [--notation-trust-store ca:NAME…] [--notation-identity "x509.subject: …"…] [--keep-dct
 * [--require-both]] [--output FILE] [--notation-trust-policy FILE]`: reads who signs each
 * repository (its trust server, as `dct trust inspect` does, or a trust bundle verified
 * offline), writes the policy (src/app/policy/generate-policy.ts) and checks it with the
 * policy loader before saying it is done; the notation trust policy beside it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadPolicyFile } from '../adapters/policy/policy-file.js';
import { readBundleFile } from '../adapters/trust-bundle/bundle-file.js';
import { generatePolicy, type RepositorySigners } from '../app/policy/generate-policy.js';
import { bundleRepositorySigners, liveRepositorySigners } from '../app/policy/repository-signers.js';
import { isDctError } from '../core/errors.js';
import { CliFailure } from './cli-failure.js';
import { processIo, type TrustIo } from './docker-trust/io.js';
import { openTrustContext } from './docker-trust/trust-context.js';

export interface GenerateCommandOptions {
  bundle?: string;
  cosignKey: string[];
  tlog: boolean;
  notationTrustStore: string[];
  notationIdentity: string[];
  keepDct: boolean;
  requireBoth: boolean;
  output?: string;
  notationTrustPolicy?: string;
}

async function readSigners(io: TrustIo, names: readonly string[], o: GenerateCommandOptions): Promise<RepositorySigners[]> {
  if (o.bundle !== undefined) {
    const path = resolve(io.cwd, o.bundle);
    return bundleRepositorySigners(await readBundleFile(path), o.bundle, names, io.now());
  }
  const out: RepositorySigners[] = [];
  for (const name of names) {
    const ctx = await openTrustContext(io, name);
    try {
      out.push(await liveRepositorySigners(ctx, (w) => io.err(`warning: ${w}\n`)));
    } finally {
      ctx.close();
    }
  }
  return out;
}

export async function runPolicyGenerate(names: readonly string[], o: GenerateCommandOptions, io: TrustIo): Promise<number> {
  try {
    if (names.length === 0 && o.bundle === undefined) throw new CliFailure('name at least one repository (or --bundle FILE)');
    const output = o.output !== undefined ? resolve(io.cwd, o.output) : undefined;
    // the policy names key files relative to itself
    const base = output !== undefined ? dirname(output) : io.cwd;
    const generated = generatePolicy({
      repositories: await readSigners(io, names, o),
      cosignKeys: o.cosignKey.map((k) => relative(base, resolve(io.cwd, k))),
      cosignTlog: o.tlog,
      notationTrustStores: o.notationTrustStore,
      notationIdentities: o.notationIdentity,
      keepDct: o.keepDct,
      requireBoth: o.requireBoth,
      now: io.now(),
    });
    if (output === undefined) io.out(generated.yaml);
    else {
      await mkdir(dirname(output), { recursive: true });
      await writeFile(output, generated.yaml);
      await loadPolicyFile(output); // what `dct policy check` loads: a file that would not load is not done
      io.err(`wrote ${o.output} (checked: dct policy check ${o.output})\n`);
    }
    if (o.notationTrustPolicy !== undefined) {
      if (!generated.notation) throw new CliFailure('--notation-trust-policy needs --notation-trust-store');
      const path = resolve(io.cwd, o.notationTrustPolicy);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, JSON.stringify(generated.notation, null, 2) + '\n');
      io.err(`wrote ${o.notationTrustPolicy} (notation's trust policy: dct notation policy import ${o.notationTrustPolicy})\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof CliFailure || isDctError(err)) {
      io.err(`dct policy generate: ${(err as Error).message}${isDctError(err) ? ` [${err.code}]` : ''}\n`);
      return 1;
    }
    throw err;
  }
}

const many = (v: string, prev: string[]) => [...prev, v];

export function registerPolicyGenerate(policy: Command): void {
  policy
    .command('generate')
    .description("write the policy that carries repositories' DCT signers over to cosign/Notation (and notation's trust policy)")
    .argument('[repositories...]', "GUN or IMAGE (with --bundle: the bundle's repositories, default all)")
    .option('--bundle <file>', 'read the signers from a trust bundle (dct trust export), verified offline, instead of the trust server')
    .option('--cosign-key <file>', 'a cosign public key that signs in the new format (repeatable)', many, [])
    .option('--no-tlog', 'cosign: the signatures have no transparency log entry (--tlog-upload=false)')
    .option('--notation-trust-store <store>', 'a Notation trust store, ca:NAME or signingAuthority:NAME (repeatable)', many, [])
    .option('--notation-identity <identity>', 'a trusted identity, "x509.subject: C=US, O=…" (repeatable)', many, [])
    .option('--keep-dct', 'keep the DCT requirement (signers, fresh tags) beside the new one for a grace period (anyOf)', false)
    .option('--require-both', 'with --keep-dct: DCT and the new format must both sign (allOf)', false)
    .option('--output <file>', 'the policy file to write (default: stdout)')
    .option('--notation-trust-policy <file>', "write notation's trust policy (trustpolicy.oci.json) for the same repositories")
    .action(async (repositories: string[], opts: GenerateCommandOptions) => {
      const code = await runPolicyGenerate(repositories, opts, processIo());
      if (code !== 0) throw CliFailure.reported(code);
    });
}
