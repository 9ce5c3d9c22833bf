/**
 * Citations in code and docs resolve inside the repository (docs/README.md):
 * - `spec §5.4` (or a bare `§5.4`) names a numbered heading of docs/notary-spec.md;
 * - `N:server/handlers/default.go`, `C:cli/trust/trust.go`, … use a tag that the spec's §0 table defines;
 * - `V:`/`F:` citations name a fixture that exists, when the fixtures are beside the checkout.
 * A `§` that follows the name of another document (`JWA §3.4`, `RFC 7578 §4.2`) is not the spec's.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listFiles, PROJECT_ROOT, SHARED_DIR } from './support/fixtures.js';

const SPEC = join(PROJECT_ROOT, 'docs', 'notary-spec.md');
/** Where citations are read: every text file under these folders, and these files. */
const SCANNED_DIRS = ['src', 'test', 'bench', 'scripts', 'docs'];
const SCANNED_FILES = ['README.md'];
const TEXT = /\.(ts|mjs|js|md|json)$/;

/** Documents other than the spec whose sections code may cite with `§`. */
const OTHER_DOCUMENT = /\b(?:JWA|JWS|JWT|JWK|JWE|FIPS|SP\s?800-\d+|RFC\s?\d+|RFC)\s*$/;
const SECTION = /§\s?(\d+(?:\.\d+)*)/g;
/** A tagged citation: one capital letter, a colon, then a path; not part of a longer word, URL or regex. */
const TAGGED = /(?<![\w/.:$@\\-])([A-Z]):([\w*][\w./*-]*)/g;

interface Citation {
  file: string;
  line: number;
  text: string;
}

interface Problem extends Citation {
  problem: string;
}

/** The section numbers of the spec's headings: `## 0. Sources` → 0, `#### 5.4.1 Go …` → 5.4.1. */
function specSections(markdown: string): Set<string> {
  const sections = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)) sections.add(m[1] as string);
  return sections;
}

/** The citation tags of the spec's §0 table: rows that start with a `X:` cell. */
function specTags(markdown: string): Map<string, string> {
  const section0 = /^## 0\.[^\n]*\n([\s\S]*?)(?=^## )/m.exec(markdown)?.[1] ?? '';
  const tags = new Map<string, string>();
  for (const m of section0.matchAll(/^\|\s*`([A-Z]):`\s*\|\s*([^|]*?)\s*\|/gm)) tags.set(m[1] as string, m[2] as string);
  return tags;
}

/** Every spec section cited in `text`: `spec §7.2, §7.10` gives 7.2 and 7.10; `JWA §3.4` gives nothing. */
function sectionCitations(file: string, text: string): Citation[] {
  const found: Citation[] = [];
  text.split('\n').forEach((content, i) => {
    for (const m of content.matchAll(SECTION)) {
      if (OTHER_DOCUMENT.test(content.slice(0, m.index))) continue;
      found.push({ file, line: i + 1, text: m[1] as string });
    }
  });
  return found;
}

/** Every tagged citation in `text`, as tag, colon, path (`N:tuf/tuf.go`). */
function taggedCitations(file: string, text: string): Citation[] {
  const found: Citation[] = [];
  text.split('\n').forEach((content, i) => {
    for (const m of content.matchAll(TAGGED)) found.push({ file, line: i + 1, text: `${m[1]}:${m[2]}` });
  });
  return found;
}

/**
 * The fixture a `V:`/`F:` citation names, as a path prefix under `root`: `F:http-exchanges/24-post-…`,
 * `F:client-traffic/3b-1` (a file name's start), `F:24` (short for `http-exchanges/24-…`), `*` for any one name.
 */
function fixtureExists(root: string, files: readonly string[], cited: string): boolean {
  const path = /^\d+$/.test(cited) ? `http-exchanges/${cited.padStart(2, '0')}-` : cited.replace(/\.{3}$|…$/, '');
  if (path === '' || path === '.') return existsSync(root);
  const pattern = new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}`);
  return files.some((f) => pattern.test(f));
}

/** All problems with the citations of `sources`, against the spec text. */
function checkCitations(
  spec: string,
  sources: ReadonlyArray<{ file: string; text: string }>,
  fixtures?: { V?: { root: string; files: readonly string[] }; F?: { root: string; files: readonly string[] } },
): Problem[] {
  const sections = specSections(spec);
  const tags = specTags(spec);
  const problems: Problem[] = [];
  for (const { file, text } of sources) {
    for (const c of sectionCitations(file, text)) {
      if (!sections.has(c.text)) problems.push({ ...c, problem: `§${c.text} is no heading of docs/notary-spec.md` });
    }
    for (const c of taggedCitations(file, text)) {
      const tag = c.text.slice(0, 1);
      const path = c.text.slice(2);
      if (!tags.has(tag)) {
        problems.push({ ...c, problem: `${tag}: is not a citation tag of docs/notary-spec.md §0 (${[...tags.keys()].join(', ')})` });
        continue;
      }
      const where = tag === 'V' || tag === 'F' ? fixtures?.[tag] : undefined;
      if (where && !fixtureExists(where.root, where.files, path)) {
        problems.push({ ...c, problem: `${c.text}: no such fixture under ${tags.get(tag)}` });
      }
    }
  }
  return problems;
}

function report(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.problem}`).join('\n');
}

function projectSources(): Array<{ file: string; text: string }> {
  const sources: Array<{ file: string; text: string }> = [];
  for (const dir of SCANNED_DIRS) {
    if (!existsSync(join(PROJECT_ROOT, dir))) continue;
    for (const f of listFiles(join(PROJECT_ROOT, dir))) {
      if (!TEXT.test(f) || f === 'notary-spec.md') continue;
      sources.push({ file: `${dir}/${f}`, text: readFileSync(join(PROJECT_ROOT, dir, f), 'utf8') });
    }
  }
  for (const f of SCANNED_FILES) sources.push({ file: f, text: readFileSync(join(PROJECT_ROOT, f), 'utf8') });
  return sources;
}

function fixtureTree(sub: string): { root: string; files: string[] } | undefined {
  const root = join(SHARED_DIR, 'fixtures', sub);
  return existsSync(root) ? { root, files: listFiles(root) } : undefined;
}

describe('docs citations', () => {
  const spec = readFileSync(SPEC, 'utf8');

  it('the spec has its numbered sections and the §0 tag table', () => {
    const sections = specSections(spec);
    for (const s of ['0', '0.1', '1.9', '2.2', '5.4', '5.4.1', '7', '7.10', '11']) assert.ok(sections.has(s), `no §${s}`);
    assert.deepEqual([...specTags(spec).keys()].sort(), ['C', 'F', 'G', 'N', 'V']);
    assert.match(specTags(spec).get('N') ?? '', /theupdateframework\/notary @ [0-9a-f]{12}/);
    assert.match(specTags(spec).get('C') ?? '', /docker\/cli tag v28\.5\.2/);
  });

  it('every § and tagged path cited in src, test, bench, scripts, docs and README.md resolves', () => {
    const sources = projectSources();
    const cited = sources.flatMap((s) => sectionCitations(s.file, s.text));
    assert.ok(cited.length > 30, `only ${cited.length} spec citations found: is the scanner broken?`);
    assert.ok(sources.flatMap((s) => taggedCitations(s.file, s.text)).length > 30);
    const fixtures = { V: fixtureTree('notary-go-vectors'), F: fixtureTree('notary-0.7') };
    const problems = checkCitations(spec, sources, {
      ...(fixtures.V ? { V: fixtures.V } : {}),
      ...(fixtures.F ? { F: fixtures.F } : {}),
    });
    assert.equal(problems.length, 0, report(problems));
  });

  it('the spec’s own § references resolve', () => {
    const problems = checkCitations(spec, [{ file: 'docs/notary-spec.md', text: spec }]).filter((p) => p.problem.startsWith('§'));
    assert.equal(problems.length, 0, report(problems));
  });

  describe('the checker', () => {
    // Built from pieces, so that this file holds no bad citation of its own.
    const S = '§';
    const spec0 = [
      '# title',
      '## 0. Sources',
      '| tag | repository | notes |',
      '| --- | --- | --- |',
      '| `N:` | theupdateframework/notary @ 177297005ef8 | |',
      '| `F:` | fixtures | |',
      '## 5. Server',
      '### 5.4 Update',
      '#### 5.4.1 Bug',
      '## 7. Docker',
    ].join('\n');

    it('reads headings and tags', () => {
      assert.deepEqual([...specSections(spec0)].sort(), ['0', '5', '5.4', '5.4.1', '7']);
      assert.deepEqual([...specTags(spec0).keys()], ['N', 'F']);
    });

    it('accepts good citations, lists and other documents’ sections', () => {
      const text = [
        ` * spec ${S}5.4, ${S}5.4.1; \`N:server/handlers/default.go\``,
        ` * (${S}7) and signatures as raw r‖s (JWA ${S}3.4, RFC 7578 ${S}9.9)`,
        ' * https://example.com/a:b, C:\\\\windows, IP:1.2.3.4, DNS:x, /[A-F:.]+/',
      ].join('\n');
      assert.deepEqual(checkCitations(spec0, [{ file: 'good.ts', text }]), []);
    });

    it('fails a section that is no heading, in a list too', () => {
      const text = `a\n * spec ${S}5.9 and ${S}5.4, ${S}8.1\n`;
      const problems = checkCitations(spec0, [{ file: 'bad.ts', text }]);
      assert.deepEqual(
        problems.map((p) => `${p.file}:${p.line} ${p.text}`),
        ['bad.ts:2 5.9', 'bad.ts:2 8.1'],
      );
      assert.match(report(problems), /bad\.ts:2: §5\.9 is no heading of docs\/notary-spec\.md/);
    });

    it('fails a tag that §0 does not define', () => {
      const text = ` * (\`N:tuf/tuf.go\`, \`${'D'}:distribution/registry.go\`)`;
      const problems = checkCitations(spec0, [{ file: 'bad.ts', text }]);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]?.text, `${'D'}:distribution/registry.go`);
      assert.match(problems[0]?.problem ?? '', /D: is not a citation tag .*\(N, F\)/);
    });

    it('fails a fixture that does not exist, when the fixtures are there', () => {
      const F = {
        root: '/fixtures',
        files: [
          'http-exchanges/24-post-tampered-targets.txt',
          'client-traffic/3b-1-snapshot.txt',
          'targets-only/docker-trust-inspect.json',
        ],
      };
      const good = 'F:24 F:http-exchanges/24-post-tampered-targets.txt F:client-traffic/3b-1 F:*/docker-trust-inspect.json';
      assert.deepEqual(checkCitations(spec0, [{ file: 'good.ts', text: good }], { F }), []);
      const bad = checkCitations(spec0, [{ file: 'bad.ts', text: `${'F'}:35 and ${'F'}:client-traffic/9z` }], { F });
      assert.deepEqual(
        bad.map((p) => p.text),
        [`${'F'}:35`, `${'F'}:client-traffic/9z`],
      );
    });
  });
});
