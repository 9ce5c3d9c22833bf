/**
 * What an interop test does when a real tool or service it needs (docker CLI, skopeo,
 * notary, docker-registry, PostgreSQL, GNU tar, openssl…) is missing: on a developer's
 * machine it skips, saying why; with `CI` set it FAILS, so a CI run that lacks one is red
 * instead of green with the interop tests quietly skipped.
 *
 *   const missing = missingTool('skopeo');                       // or ensureReferenceTools(), postgresUnreachable()
 *   describe('skopeo interop', { skip: interopSkip(missing) }, …) // suites and tests
 *   if (interopSkipHere(t, missing)) return;                      // inside a running test
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { it, type TestContext } from 'node:test';
import { onPath } from './reference-stack.js';

/** Whether this run is CI's (`CI` set to anything but '', '0' or 'false'). */
export function inCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** Why the tools cannot be run (those not on PATH), or undefined when all are there. */
export function missingTool(...names: string[]): string | undefined {
  const absent = names.filter((n) => !onPath(n));
  return absent.length === 0 ? undefined : `not on PATH: ${absent.join(', ')}`;
}

/** Why GNU tar cannot be run (absent, or another tar), or undefined. */
export function missingGnuTar(): string | undefined {
  try {
    return execFileSync('tar', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('GNU tar')
      ? undefined
      : 'tar is not GNU tar';
  } catch {
    return 'GNU tar is not installed';
  }
}

const failureMessage = (missing: string) => `CI is set, and an interop test's tool or service is missing: ${missing}`;
const reported = new Set<string>();

/**
 * The `skip` option of a suite or test that needs what `missing` names (undefined: nothing
 * missing, run it). Outside CI: the reason, so it is skipped. In CI: a failing test saying
 * what is missing takes its place (once per reason and file), and the suite itself is skipped.
 */
export function interopSkip(missing: string | undefined): string | false {
  if (missing === undefined) return false;
  if (inCi() && !reported.has(missing)) {
    reported.add(missing);
    it(`needs: ${missing}`, () => assert.fail(failureMessage(missing)));
  }
  return missing;
}

/** `interopSkip` inside a running test: true when the test was skipped (return then); throws in CI. */
export function interopSkipHere(t: TestContext, missing: string | undefined): boolean {
  if (missing === undefined) return false;
  if (inCi()) assert.fail(failureMessage(missing));
  t.skip(missing);
  return true;
}
