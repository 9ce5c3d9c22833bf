/**
 * The dependency rules, as a test (the rules: test/support/dependency-rules.ts):
 * core is pure (node:crypto and itself only; no environment, no clock); adapters
 * never reach up; app reaches adapters only through ports; server and signer never
 * import the CLI; the CLI reaches them through their entry points; commands do not
 * import each other; no files import each other, directly or in a loop. The checker and
 * the cycle finder are also run on made-up files, to show they fail.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import {
  checkDependencies,
  COMMAND_EXCEPTIONS,
  CLI_ENTRY_POINTS,
  importsOf,
  resolveImport,
  type SourceFile,
} from './support/dependency-rules.js';
import { listFiles, PROJECT_ROOT } from './support/fixtures.js';

const SRC = join(PROJECT_ROOT, 'src');

function sources(): SourceFile[] {
  return listFiles(SRC)
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => ({ path: f.split('\\').join('/'), text: readFileSync(join(SRC, f), 'utf8') }));
}

/**
 * The import cycles among `files` (every relative import, type-only and `export … from` too):
 * each strongly connected component of the import graph with two or more files, or a file that
 * imports itself, as its sorted paths (Tarjan's algorithm).
 */
function importCycles(files: readonly SourceFile[]): string[][] {
  const paths = new Set(files.map((f) => f.path));
  const land = (from: string, spec: string): string | undefined => {
    const target = resolveImport(from, spec);
    if (target === undefined) return undefined;
    return paths.has(target) ? target : paths.has(`${target}x`) ? `${target}x` : undefined;
  };
  const edges = new Map<string, string[]>();
  for (const { path, text } of files) {
    const targets = importsOf(text).flatMap((spec) => land(path, spec) ?? []);
    edges.set(path, targets);
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || edges.get(v)!.includes(v)) cycles.push(component.sort());
  };
  for (const path of [...paths].sort()) if (!index.has(path)) visit(path);
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

const show = (v: ReturnType<typeof checkDependencies>) => v.map((x) => `${x.file} imports ${x.spec}: ${x.rule}`).join('\n');

describe('architecture', () => {
  const files = sources();

  it('every layer keeps the dependency rules', () => {
    assert.ok(files.filter((f) => f.path.startsWith('core/')).length > 10);
    assert.ok(files.filter((f) => f.path.startsWith('cli/commands/')).length > 10);
    const violations = checkDependencies(files);
    assert.equal(violations.length, 0, show(violations));
  });

  it('every exception and entry point is still in use (an unused one is removed, not kept)', () => {
    const edges = new Set<string>();
    for (const { path, text } of files) for (const spec of importsOf(text)) edges.add(`${path} → ${resolveImport(path, spec) ?? spec}`);
    for (const exception of Object.keys(COMMAND_EXCEPTIONS)) assert.ok(edges.has(exception), `unused exception: ${exception}`);
    const targets = new Set([...edges].map((e) => e.split(' → ')[1]));
    for (const entry of Object.keys(CLI_ENTRY_POINTS)) assert.ok(targets.has(entry), `unused entry point: ${entry}`);
  });

  it('src has no import cycles (type-only imports count: they tie the concepts together)', () => {
    const cycles = importCycles(files);
    assert.equal(
      cycles.length,
      0,
      `files that import each other, directly or in a loop:\n${cycles.map((c) => c.map((f) => `src/${f}`).join(' ↔ ')).join('\n')}`,
    );
  });

  it('core reads no environment and no clock', () => {
    for (const { path, text } of files.filter((f) => f.path.startsWith('core/'))) {
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      assert.doesNotMatch(code, /\bprocess\./, `src/${path} touches process`);
      assert.doesNotMatch(code, /Date\.now\(|new Date\(\)/, `src/${path} reads the clock`);
      assert.doesNotMatch(code, /\bperformance\.now\(/, `src/${path} reads the clock`);
    }
  });
});

describe('the dependency checker (made-up files)', () => {
  const file = (path: string, ...imports: string[]): SourceFile => ({
    path,
    text: imports.map((spec, i) => `import { x${i} } from '${spec}';`).join('\n') + '\nexport const y = 1;\n',
  });
  const rulesBroken = (...files: SourceFile[]) => checkDependencies(files).map((v) => `${v.file} ${v.spec}`);

  it('passes files that keep the rules', () => {
    const ok = [
      file('core/a.ts', './b.js', 'node:crypto'),
      file('adapters/x/y.ts', '../../core/a.js', 'node:fs'),
      file('app/use-case.ts', '../core/ports.js', './other.js'),
      file('cli/commands/trust/sign.ts', './args.js', '../../docker-trust/io.js', '../../../app/use-case.js', '../../../adapters/x/y.js'),
      file('cli/commands/server.ts', '../../server/start-server.js'),
      file('server/routes.ts', '../app/use-case.js', '../adapters/x/y.js'),
      file('signer/signer-service.ts', '../adapters/x/y.js'),
    ];
    assert.deepEqual(checkDependencies(ok), []);
  });

  it('reports app reaching an adapter directly (also through export … from and import())', () => {
    assert.deepEqual(
      rulesBroken(
        file('app/images/push.ts', '../../adapters/image-layout/push-plan.js'),
        { path: 'app/keys.ts', text: "export { k } from '../adapters/keystore/file-keystore.js';\n" },
        { path: 'app/lazy.ts', text: "const m = await import('../adapters/passphrase.js');\n" },
      ),
      [
        'app/images/push.ts ../../adapters/image-layout/push-plan.js',
        'app/keys.ts ../adapters/keystore/file-keystore.js',
        'app/lazy.ts ../adapters/passphrase.js',
      ],
    );
  });

  it('reports a command importing another command, but not a shared cli module', () => {
    const violations = checkDependencies([
      file('cli/commands/images/resolver.ts', '../trust/context.js', '../../docker-trust/io.js'),
      file('cli/commands/push.ts', './trust/sign.js', './pull.js', '../registry-access.js'),
    ]);
    assert.deepEqual(
      violations.map((v) => `${v.file} ${v.spec}`),
      ['cli/commands/images/resolver.ts ../trust/context.js', 'cli/commands/push.ts ./trust/sign.js', 'cli/commands/push.ts ./pull.js'],
    );
    assert.match(violations[0]!.rule, /does not import another command/);
  });

  it('reports the front ends crossing: server → cli, signer → server, cli → server internals, core → node:fs, adapters → app', () => {
    assert.deepEqual(
      rulesBroken(
        file('server/a.ts', '../cli/output.js'),
        file('signer/b.ts', '../server/config.js'),
        file('cli/commands/server.ts', '../../server/registry/registry-api.js', '../../server/start-server.js'),
        file('core/c.ts', 'node:fs'),
        file('adapters/d.ts', '../app/use-case.js'),
      ),
      [
        'server/a.ts ../cli/output.js',
        'signer/b.ts ../server/config.js',
        'cli/commands/server.ts ../../server/registry/registry-api.js',
        'core/c.ts node:fs',
        'adapters/d.ts ../app/use-case.js',
      ],
    );
  });
});

describe('the import cycle finder (made-up files)', () => {
  const file = (path: string, ...lines: string[]): SourceFile => ({ path, text: lines.join('\n') + '\nexport const y = 1;\n' });

  it('finds a cycle of two files and one of three (through import type and export … from), and none in a chain', () => {
    const files = [
      file('core/a.ts', "import { b } from './b.js';"),
      file('core/b.ts', "import type { A } from './a.js';"),
      file('app/x.ts', "import { y } from './y.js';"),
      file('app/y.ts', "import { z } from '../app/z.js';"),
      file('app/z.ts', "export { x } from './x.js';"),
      file('cli/one.ts', "import { two } from './two.js';", "import { readFile } from 'node:fs/promises';"),
      file('cli/two.ts', "import { three } from './three.js';"),
      file('cli/three.ts', "import { a } from '../core/a.js';", "import { x } from '../app/x.js';"),
      file('cli/self.ts', "const me = await import('./self.js');"),
    ];
    assert.deepEqual(importCycles(files), [['app/x.ts', 'app/y.ts', 'app/z.ts'], ['cli/self.ts'], ['core/a.ts', 'core/b.ts']]);
    const chain = files.filter((f) => f.path.startsWith('cli/') && f.path !== 'cli/self.ts');
    assert.deepEqual(importCycles([...chain, file('core/a.ts'), file('app/x.ts', "import { y } from './missing.js';")]), []);
  });
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
