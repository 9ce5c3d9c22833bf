/**
 * `dct sigstore verify-bundle …` / `sign-bundle …`: the Sigstore client conformance
 * suite's client protocol, so that the suite's own harness can drive dct.
 */
import type { Command } from 'commander';

export function registerSigstoreCommand(program: Command): void {
  program.command('sigstore').description("the Sigstore conformance suite's client protocol (verify-bundle, sign-bundle)");
}
