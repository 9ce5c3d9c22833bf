/**
 * A package loaded on first use rather than with the module that uses it: heavy packages (yaml,
 * ajv, pkijs, cborg, @noble/ciphers, …) stay off the start-up path of commands that never need
 * them (test/cli/startup-modules.test.ts). A static `import` would load them with every command
 * whose module graph reaches the user; `require` (of CommonJS, or of an ES module: Node ≥ 20.19)
 * loads them synchronously when the getter is first called.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface LazyModuleOptions {
  /**
   * The package exports only an `import` condition (cborg): `require` cannot resolve it, so it is
   * resolved as an import would be and the file it resolves to is required.
   */
  importOnly?: boolean;
}

/**
 * A getter of the package `specifier` as the module of `meta` (its `import.meta`) resolves it:
 * nothing is loaded until the getter is first called, and then only once.
 */
export function lazyModule<T>(specifier: string, meta: ImportMeta, options: LazyModuleOptions = {}): () => T {
  let loaded: { module: T } | undefined;
  return () => {
    if (!loaded) {
      const require = createRequire(meta.url);
      const target = options.importOnly ? fileURLToPath(meta.resolve(specifier)) : specifier;
      loaded = { module: require(target) as T };
    }
    return loaded.module;
  };
}
