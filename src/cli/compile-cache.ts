/**
 * Node's on-disk cache of compiled code (`module.enableCompileCache`, Node ≥ 22.1): a command
 * line's modules are compiled once, then read back by every later run, which is most of what
 * a short command costs besides node's own start. On a runtime without it (Node 20) this does
 * nothing; `NODE_DISABLE_COMPILE_CACHE` turns it off as it does for node itself, and a cache
 * directory that cannot be written never fails the command (node then runs without it).
 */
import * as nodeModule from 'node:module';

type EnableCompileCache = (cacheDir?: string) => unknown;

export function enableCompileCache(
  env: Readonly<Record<string, string | undefined>> = process.env,
  enable: EnableCompileCache | undefined = (nodeModule as { enableCompileCache?: EnableCompileCache }).enableCompileCache,
): void {
  if (!enable || env.NODE_DISABLE_COMPILE_CACHE) return;
  try {
    enable();
  } catch {
    // a cache is an optimisation: without it the command runs as before
  }
}
