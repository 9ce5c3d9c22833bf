/**
 * The dependency rule, as a test: core is pure (node:crypto and itself only;
 * no environment, no clock), adapters never reach up into app/cli/server, app
 * never into cli/server.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { listFiles, PROJECT_ROOT } from './support/fixtures.js';

const SRC = join(PROJECT_ROOT, 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourcesOf(layer: string): Array<{ file: string; text: string; imports: string[] }> {
  return listFiles(join(SRC, layer))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => {
      const file = join(SRC, layer, f);
      const text = readFileSync(file, 'utf8');
      const imports: string[] = [];
      for (const m of text.matchAll(IMPORT)) imports.push((m[1] ?? m[2]) as string);
      return { file, text, imports };
    });
}

/** The top-level src folder an import lands in ('' for packages and node builtins). */
function layerOf(from: string, spec: string): string {
  if (!spec.startsWith('.')) return '';
  return relative(SRC, resolve(from, '..', spec)).split('/')[0] as string;
}

describe('architecture', () => {
  it('core imports only node:crypto and core', () => {
    const files = sourcesOf('core');
    assert.ok(files.length > 10);
    for (const { file, imports } of files) {
      for (const spec of imports) {
        const ok = spec === 'node:crypto' || (spec.startsWith('.') && layerOf(file, spec) === 'core');
        assert.ok(ok, `${relative(PROJECT_ROOT, file)} imports ${spec}`);
      }
    }
  });

  it('core reads no environment and no clock', () => {
    for (const { file, text } of sourcesOf('core')) {
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      assert.doesNotMatch(code, /\bprocess\./, `${relative(PROJECT_ROOT, file)} touches process`);
      assert.doesNotMatch(code, /Date\.now\(|new Date\(\)/, `${relative(PROJECT_ROOT, file)} reads the clock`);
      assert.doesNotMatch(code, /\bperformance\.now\(/, `${relative(PROJECT_ROOT, file)} reads the clock`);
    }
  });

  const forbidden: Record<string, string[]> = {
    adapters: ['app', 'cli', 'server'],
    app: ['cli', 'server'],
  };
  for (const [layer, above] of Object.entries(forbidden)) {
    it(`${layer} does not depend on ${above.join(', ')}`, () => {
      for (const { file, imports } of sourcesOf(layer)) {
        for (const spec of imports) {
          assert.ok(!above.includes(layerOf(file, spec)), `${relative(PROJECT_ROOT, file)} imports ${spec}`);
        }
      }
    });
  }
});

describe('native modules', () => {
  it('only the SQLite driver loads better-sqlite3 (Node 22.13+ stores through node:sqlite, where a Node 20 build cannot load)', () => {
    const files = [
      ...listFiles(SRC).map((f) => join(SRC, f)),
      ...listFiles(join(PROJECT_ROOT, 'test')).map((f) => join(PROJECT_ROOT, 'test', f)),
    ].filter((f) => f.endsWith('.ts') && !f.endsWith('architecture.test.ts'));
    const loaders = files.filter((f) =>
      /(?:from\s*|import\(\s*|require\(\s*|resolve\(\s*)['"]better-sqlite3['"]/.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(
      loaders.map((f) => relative(PROJECT_ROOT, f)),
      ['src/adapters/storage/sqlite-driver.ts'],
    );
  });
});
