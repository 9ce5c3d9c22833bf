/**
 * Shared by the property tests: runs a fast-check property with a bounded number of
 * runs (and a time guard that stops generating, never a timing assertion), prints one
 * summary line per property with the number of generated inputs it ran, and checks
 * that a parser refuses bad input only with the project's typed error (DctError).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DctError } from '../../src/core/errors.js';

/** Stops generating new inputs after this long: a guard against a slow machine, not an assertion. */
const GUARD_MS = 20_000;

export interface PropertyOptions {
  numRuns: number;
  /** inputs that once failed: run before the generated ones, kept as regressions */
  examples?: unknown[];
}

/** Runs `property` and prints `property <name>: <runs> generated inputs …`; throws fast-check's report on failure. */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  name: string,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => void | boolean | Promise<void | boolean>,
  opts: PropertyOptions,
): Promise<void> {
  const asyncProperty = fc.asyncProperty as unknown as (...a: unknown[]) => fc.IAsyncProperty<unknown[]>;
  const property = asyncProperty(...(arbitraries as unknown as fc.Arbitrary<unknown>[]), async (...args: unknown[]) => {
    const r = await (predicate as (...a: unknown[]) => unknown)(...args);
    return r !== false;
  });
  const details = await fc.check(property, {
    numRuns: opts.numRuns,
    interruptAfterTimeLimit: GUARD_MS,
    markInterruptAsFailure: false,
    ...(opts.examples ? { examples: opts.examples as never } : {}),
  });
  const examples = opts.examples?.length ?? 0;
  console.log(
    `property ${name}: ${details.numRuns} generated inputs (numRuns ${opts.numRuns}${examples ? `, + ${examples} regression examples` : ''}${details.interrupted ? ', stopped by the time guard' : ''}), seed ${details.seed}`,
  );
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? `property ${name} failed`);
  assert.ok(details.numRuns > 0, `property ${name} ran no inputs`);
}

/** Calls `fn`; a thrown DctError (the typed refusal) gives undefined, anything else fails the property. */
export function typedOrValue<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    assertTyped(err);
    return undefined;
  }
}

export async function typedOrValueAsync<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    assertTyped(err);
    return undefined;
  }
}

export function assertTyped(err: unknown): asserts err is DctError {
  if (!(err instanceof DctError) || typeof err.code !== 'string' || (err.code as string) === '') {
    const detail = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    throw new Error(`threw something other than a DctError: ${detail}`);
  }
}

/** Mutations of a valid input: flip bytes, cut, splice in bytes, duplicate a slice. */
export function mutatedBytes(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  );
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([seed, edits]) => {
    let b = Buffer.from(seed);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'flip') {
        if (b.length > 0) b[at] = e.value;
      } else if (e.kind === 'cut') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
      else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
      else if (e.kind === 'truncate') b = b.subarray(0, at);
      else b = Buffer.concat([b.subarray(0, at + e.len), b.subarray(at)]);
    }
    return b;
  });
}

/** Mutations of a valid JSON value: replace, delete or add a member somewhere in the tree. */
export function mutatedJson(seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant({}),
    fc.constant([]),
    fc.constant('-1'),
  );
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 2 }), leaf), { minLength: 1, maxLength: 3 }),
    )
    .map(([seed, edits]) => {
      const copy = JSON.parse(JSON.stringify(seed)) as unknown;
      for (const [pick, key, kind, value] of edits) {
        const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
        const walk = (v: unknown) => {
          if (Array.isArray(v)) v.forEach((c, i) => (nodes.push({ parent: v, key: i }), walk(c)));
          else if (typeof v === 'object' && v !== null)
            for (const [k, c] of Object.entries(v)) {
              nodes.push({ parent: v as Record<string, unknown>, key: k });
              walk(c);
            }
        };
        walk(copy);
        if (nodes.length === 0) continue;
        const n = nodes[pick % nodes.length]!;
        if (kind === 0) (n.parent as Record<string | number, unknown>)[n.key] = value;
        else if (kind === 1) {
          if (Array.isArray(n.parent)) n.parent.splice(n.key as number, 1);
          else delete n.parent[n.key as string];
        } else if (!Array.isArray(n.parent)) n.parent[`x${key % 5}`] = value;
        else n.parent.push(value);
      }
      return copy;
    });
}
