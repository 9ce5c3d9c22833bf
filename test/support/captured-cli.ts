/**
 * A dct command run in process with its stdout and stderr captured: the io every CLI
 * entry point takes (docker's and cobra's both), with no terminal, no hints and no stdin.
 */
import assert from 'node:assert/strict';
import type { Io } from '../../src/cli/cobra/command.js';
import type { DockerIo } from '../../src/cli/commands/images/docker-plan.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** What every in-process CLI entry point can be given. */
export type CapturedIo = Io & DockerIo;

/** Runs `f` with an io that writes into the returned run. */
export async function captureCli(
  f: (io: CapturedIo) => Promise<number>,
  ctx: { env: Readonly<Record<string, string | undefined>>; cwd: string },
): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CapturedIo = {
    out: (t: string) => void (out += t),
    err: (t: string) => void (err += t),
    readLine: async () => undefined,
    readStdin: async () => Buffer.alloc(0),
    env: ctx.env,
    cwd: ctx.cwd,
    now: () => new Date(),
    hints: false,
  };
  return { code: await f(io), out, err };
}

/** The run, after asserting it exited 0 (its output is the failure's message). */
export function succeeded(run: CliRun, what: string): CliRun {
  assert.equal(run.code, 0, `${what}: ${run.out}${run.err}`);
  return run;
}
