/**
 * `dct trust …` as one module: the build also bundles it into a single
 * self-contained file beside main.js, which main.ts loads for trust command
 * lines (one file to load instead of a score of shared chunks: docker trust
 * commands are often run in loops by scripts).
 */
import { runTrust } from './commands/trust/index.js';
import { processIo } from './docker-trust/io.js';

export function runTrustCli(args: readonly string[]): Promise<number> {
  return runTrust(args, processIo());
}
