/**
 * Finding and rewriting image references in Dockerfiles, Kubernetes YAML and
 * compose files, byte for byte: everything but the references themselves stays
 * as it was. No I/O; the caller reads a file as `latin1` (one char per byte, so
 * that any encoding survives) and writes the result back the same way.
 *
 * - Dockerfile: the image of every `FROM [--flag=…]… IMAGE [AS NAME]` instruction
 *   (keywords in any case, `\` or the `# escape=` character continuing lines,
 *   comment and blank lines inside continuations, heredoc bodies skipped). `scratch`,
 *   earlier stage names and references with `$` variables are reported, not rewritten.
 * - YAML (Kubernetes manifests, compose files): every `image:` key, at any
 *   indentation, in block list items (`- image: …`), plain, single- or double-quoted,
 *   with or without a trailing comment, in any document of a multi-document file;
 *   block scalar bodies (`|`, `>`) are skipped. Templated values (`{{ }}`, `$`) are
 *   reported; an `image:` next to a `build:` key (compose builds that image) too.
 */
import { DctError } from '../../core/errors.js';

export type PinFileKind = 'dockerfile' | 'yaml';

/** Why a reference is reported and left as it is. */
export type SkipReason = 'scratch' | 'stage' | 'variable' | 'template' | 'continuation' | 'escaped' | 'yaml-syntax' | 'compose-build';

export const SKIP_TEXT: Record<SkipReason, string> = {
  scratch: 'scratch is not an image',
  stage: 'names an earlier build stage',
  variable: 'contains a variable ($)',
  template: 'is a template expression',
  continuation: 'is split across a line continuation',
  escaped: 'uses YAML escapes',
  'yaml-syntax': 'is a YAML anchor, alias, tag or flow value',
  'compose-build': 'is the name compose gives the image it builds (the service has build:)',
};

export interface FoundReference {
  /** offsets in the text (one char per byte when read as latin1) of the reference without quotes */
  start: number;
  end: number;
  /** 1-based line and column of `start` */
  line: number;
  column: number;
  /** the reference as written */
  text: string;
  /** `from` for a Dockerfile FROM, `image` for a YAML image key */
  kind: 'from' | 'image';
  /** set when the reference is reported but not rewritten */
  skip?: SkipReason;
}

export interface Replacement {
  start: number;
  end: number;
  text: string;
}

/** What kind of file `path` is: by its name, else by its first instruction. */
export function detectKind(path: string, text: string): PinFileKind {
  const base = (path.split(/[\\/]/).pop() ?? path).toLowerCase();
  if (/\.ya?ml$/.test(base)) return 'yaml';
  if (/^(docker|container)file($|[._-])|[._-](docker|container)file$/.test(base)) return 'dockerfile';
  for (const line of text.replace(/^(\u00ef\u00bb\u00bf|\ufeff)/, '').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    return /^(from|arg)\s/i.test(t) ? 'dockerfile' : 'yaml';
  }
  return 'yaml';
}

export function findReferences(kind: PinFileKind, text: string): FoundReference[] {
  return kind === 'dockerfile' ? parseDockerfile(text).references : findYamlReferences(text);
}

/** Applies non-overlapping replacements; everything between them is kept as it is. */
export function applyReplacements(text: string, replacements: readonly Replacement[]): string {
  const sorted = [...replacements].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const r of sorted) {
    if (r.start < at || r.end < r.start || r.end > text.length)
      throw new DctError('INVALID_ARGUMENT', 'overlapping or out-of-range replacements');
    out += text.slice(at, r.start) + r.text;
    at = r.end;
  }
  return out + text.slice(at);
}

/** A written reference cut into the name as written, its tag and digest (no normalisation). */
export function splitWritten(written: string): { name: string; tag?: string; digest?: string } {
  let rest = written;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), ...(digest !== undefined ? { digest } : {}) };
  }
  return { name: rest, ...(digest !== undefined ? { digest } : {}) };
}

/** `name:tag@sha256:<hex>` keeping the name as written (`latest` when no tag was written). */
export function pinnedForm(written: string, sha256Hex: string): string {
  const { name, tag } = splitWritten(written);
  return `${name}:${tag ?? 'latest'}@sha256:${sha256Hex}`;
}

// ---- lines ---------------------------------------------------------------------------------

interface Line {
  start: number;
  /** end of the content, before `\r\n` / `\n` */
  end: number;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  // a byte order mark is not part of the first line's content
  const bom = /^(\u00ef\u00bb\u00bf|\ufeff)/.exec(text);
  if (bom) start = bom[0].length;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const stop = nl < 0 ? text.length : nl;
    const end = stop > start && text[stop - 1] === '\r' ? stop - 1 : stop;
    lines.push({ start, end });
    if (nl < 0) break;
    start = nl + 1;
  }
  return lines;
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

// ---- Dockerfile ----------------------------------------------------------------------------

export interface DockerfileArg {
  name: string;
  /** the default value; undefined when declared without one */
  value?: string;
}

export interface ParsedDockerfile {
  references: FoundReference[];
  /** ARG instructions before the first FROM (the only ones FROM lines can use) */
  globalArgs: DockerfileArg[];
  /** the escape character (`\` unless a `# escape=` directive says otherwise) */
  escape: string;
  /** stage names (`FROM … AS name`), lower case */
  stages: string[];
}

interface Token {
  text: string;
  start: number;
  end: number;
  /** the word continues across a line continuation */
  split: boolean;
}

const WS = /[ \t\f\v]/;

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = splitLines(text);
  const references: FoundReference[] = [];
  const globalArgs: DockerfileArg[] = [];
  const stages = new Set<string>();
  let escape = '\\';
  let i = 0;

  // parser directives: `# name=value` lines at the very top
  for (; i < lines.length; i++) {
    const body = text.slice(lines[i]!.start, lines[i]!.end);
    const m = /^#[ \t]*([a-zA-Z][a-zA-Z0-9_-]*)[ \t]*=[ \t]*(.*?)[ \t]*$/.exec(body);
    if (!m) break;
    if (m[1]!.toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2];
  }
  i = 0;
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  let fromSeen = false;

  while (i < lines.length) {
    const first = text.slice(lines[i]!.start, lines[i]!.end);
    const lead = first.replace(/^[ \t\f\v]+/, '');
    if (lead === '' || lead.startsWith('#')) {
      i++;
      continue;
    }
    // one instruction: physical lines joined by the escape character
    const pieces: Line[] = [];
    let j = i;
    while (j < lines.length) {
      const l = lines[j]!;
      const body = text.slice(l.start, l.end);
      const trimmed = body.replace(/^[ \t\f\v]+/, '');
      if (j > i && (trimmed === '' || trimmed.startsWith('#'))) {
        j++;
        continue;
      }
      const m = continuation.exec(body);
      j++;
      if (m) {
        pieces.push({ start: l.start, end: l.start + m.index });
        continue;
      }
      pieces.push(l);
      break;
    }
    const tokens = tokenize(text, pieces);
    const keyword = tokens[0]?.text.toLowerCase();
    if (keyword === 'from') {
      fromSeen = true;
      let k = 1;
      while (tokens[k]?.text.startsWith('--')) k++;
      const image = tokens[k];
      if (image) {
        const lower = image.text.toLowerCase();
        const skip: SkipReason | undefined = image.split
          ? 'continuation'
          : lower === 'scratch'
            ? 'scratch'
            : stages.has(lower)
              ? 'stage'
              : image.text.includes('$')
                ? 'variable'
                : undefined;
        references.push({
          start: image.start,
          end: image.end,
          ...positionOf(text, image.start),
          text: image.text,
          kind: 'from',
          ...(skip ? { skip } : {}),
        });
        const as = tokens[k + 1];
        const name = tokens[k + 2];
        if (as && name && as.text.toLowerCase() === 'as') stages.add(name.text.toLowerCase());
      }
    } else if (keyword === 'arg' && !fromSeen) {
      const first = tokens[0]!;
      const rest = pieces
        .map((piece) => text.slice(Math.max(piece.start, first.end), piece.end))
        .filter((_, n) => pieces[n]!.end > first.end);
      globalArgs.push(...argsOf(shellWords(rest.join(' '), escape)));
    }
    i = j;
    if (keyword === 'run' || keyword === 'copy' || keyword === 'add') i = skipHeredocs(text, lines, i, tokens);
  }
  return { references, globalArgs, escape, stages: [...stages] };
}

function tokenize(text: string, pieces: readonly Line[]): Token[] {
  const tokens: Token[] = [];
  let joinNext = false;
  for (const p of pieces) {
    let k = p.start;
    let firstInPiece = true;
    while (k < p.end) {
      if (WS.test(text[k]!)) {
        k++;
        firstInPiece = false;
        continue;
      }
      const s = k;
      while (k < p.end && !WS.test(text[k]!)) k++;
      const prev = tokens[tokens.length - 1];
      if (joinNext && firstInPiece && prev) {
        prev.text += text.slice(s, k);
        prev.split = true;
      } else {
        tokens.push({ text: text.slice(s, k), start: s, end: k, split: false });
      }
      firstInPiece = false;
    }
    // a word that runs up to the escape character continues on the next line
    joinNext = p.end > p.start && !WS.test(text[p.end - 1]!);
  }
  return tokens;
}

/** Words as the Dockerfile shell lexer splits them: whitespace outside quotes, quotes removed, escapes applied. */
function shellWords(s: string, escape: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === "'") {
      if (c === "'") quote = '';
      else word += c;
      continue;
    }
    if (c === escape && i + 1 < s.length) {
      word = (word ?? '') + s[++i];
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = '';
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
      continue;
    }
    if (WS.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** `ARG A=1 B="two" C` → names and defaults. */
function argsOf(words: readonly string[]): DockerfileArg[] {
  return words.map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? { name: w } : { name: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

/** After a RUN/COPY/ADD with `<<WORD` heredocs, the index of the line after their bodies. */
function skipHeredocs(text: string, lines: readonly Line[], next: number, tokens: readonly Token[]): number {
  const words: Array<{ word: string; stripTabs: boolean }> = [];
  for (const t of tokens) {
    for (const m of t.text.matchAll(/<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g)) words.push({ word: m[3]!, stripTabs: m[1] === '-' });
  }
  let i = next;
  for (const { word, stripTabs } of words) {
    while (i < lines.length) {
      const body = text.slice(lines[i]!.start, lines[i]!.end);
      i++;
      if ((stripTabs ? body.replace(/^\t+/, '') : body) === word) break;
    }
  }
  return i;
}

/** BuildKit's platform ARGs: known only to the builder, so a FROM that uses them cannot be resolved here. */
const BUILDER_ARGS = new Set([
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
]);

/**
 * Expands `$VAR`, `${VAR}`, `${VAR:-word}` and `${VAR:+word}` in a FROM image as
 * the builder does with the global ARGs (`values`: name → value, undefined = declared
 * without a value); an unset variable expands to nothing. Returns undefined when
 * the word uses a form or a variable (BuildKit's platform ARGs) that cannot be
 * known before the build.
 */
export function expandArgs(word: string, values: ReadonlyMap<string, string | undefined>, escape = '\\'): string | undefined {
  let out = '';
  let i = 0;
  const lookup = (name: string): string | undefined | null => (BUILDER_ARGS.has(name) && !values.has(name) ? null : values.get(name));
  while (i < word.length) {
    const c = word[i]!;
    if (c === escape && word[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (word[i + 1] === '{') {
      const close = word.indexOf('}', i + 2);
      if (close < 0) return undefined;
      const inner = word.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:[-+])(.*))?$/.exec(inner);
      if (!m) return undefined;
      const v = lookup(m[1]!);
      if (v === null) return undefined;
      if (m[2] === ':-') out += v === undefined || v === '' ? m[3]! : v;
      else if (m[2] === ':+') out += v === undefined || v === '' ? '' : m[3]!;
      else out += v ?? '';
      i = close + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i + 1));
    if (!m) {
      out += '$';
      i++;
      continue;
    }
    const v = lookup(m[0]);
    if (v === null) return undefined;
    out += v ?? '';
    i += 1 + m[0].length;
  }
  return out;
}

// ---- YAML ----------------------------------------------------------------------------------

interface YamlLine extends Line {
  /** column of the first key character (after indentation and `- ` item markers); -1 for blank, comment, block scalar body */
  keyCol: number;
  /** the line starts a list item whose mapping begins at keyCol */
  item: boolean;
  /** the key, when the line is `key: …` */
  key?: string;
  /** document marker `---` / `...` */
  marker: boolean;
  /** offset in the line just after the key's colon */
  afterColon?: number;
}

/** `key:` after indentation and `- ` item markers: a plain or quoted key followed by `: ` or the end of the line */
const KEY_LINE = /^([ ]*)((?:-[ ]+)*)(?:"([^"]*)"|'([^']*)'|([^\s#"'{[\]},&*!|>%@`][^#]*?))[ ]*:(?=[ \t]|$)/;
const BLOCK_SCALAR = /^[ \t]*[|>][-+0-9]*[ \t]*(#.*)?$/;

function classifyYaml(text: string): YamlLine[] {
  const out: YamlLine[] = [];
  let blockIndent = -1; // inside a block scalar: lines indented more than this belong to it
  for (const l of splitLines(text)) {
    const body = text.slice(l.start, l.end);
    const indent = /^[ ]*/.exec(body)![0].length;
    const blank = body.trim() === '';
    if (blockIndent >= 0) {
      if (blank || indent > blockIndent) {
        out.push({ ...l, keyCol: -1, item: false, marker: false });
        continue;
      }
      blockIndent = -1;
    }
    if (blank || body.trimStart().startsWith('#')) {
      out.push({ ...l, keyCol: -1, item: false, marker: false });
      continue;
    }
    if (/^(---|\.\.\.)([ \t]|$)/.test(body)) {
      out.push({ ...l, keyCol: -1, item: false, marker: true });
      continue;
    }
    const dashes = /^[ ]*((?:-[ ]+)*)/.exec(body)![1]!;
    const keyCol = indent + dashes.length;
    const m = KEY_LINE.exec(body);
    const key = m ? (m[3] ?? m[4] ?? m[5]) : undefined;
    out.push({ ...l, keyCol, item: dashes.length > 0, marker: false, ...(m && key !== undefined ? { key, afterColon: m[0].length } : {}) });
    // a block scalar (`key: |`, `key: >-`, `- |`): its body is text, not YAML keys
    if (m && BLOCK_SCALAR.test(body.slice(m[0].length))) blockIndent = keyCol;
    else if (!m && BLOCK_SCALAR.test(body.slice(keyCol))) blockIndent = keyCol - 2;
  }
  return out;
}

/** true when the mapping that holds line `at` (at key column `col`) also has the key `name`. */
function siblingHasKey(lines: readonly YamlLine[], at: number, col: number, name: string): boolean {
  const isSibling = (l: YamlLine) => l.keyCol === col && l.key === name;
  // backwards, to the start of the mapping
  if (!lines[at]!.item) {
    for (let k = at - 1; k >= 0; k--) {
      const l = lines[k]!;
      if (l.marker) break;
      if (l.keyCol < 0 || l.keyCol > col) continue;
      if (l.keyCol < col) break;
      if (isSibling(l)) return true;
      if (l.item) break;
    }
  }
  // forwards, to the end of the mapping
  for (let k = at + 1; k < lines.length; k++) {
    const l = lines[k]!;
    if (l.marker) break;
    if (l.keyCol < 0 || l.keyCol > col) continue;
    if (l.keyCol < col || l.item) break;
    if (isSibling(l)) return true;
  }
  return false;
}

export function findYamlReferences(text: string): FoundReference[] {
  const lines = classifyYaml(text);
  const refs: FoundReference[] = [];
  lines.forEach((l, index) => {
    if (l.key !== 'image' || l.keyCol < 0) return;
    const body = text.slice(l.start, l.end);
    let k = l.afterColon ?? body.length;
    while (k < body.length && (body[k] === ' ' || body[k] === '\t')) k++;
    const rest = body.slice(k);
    if (rest === '' || rest.startsWith('#')) return; // a nested mapping (e.g. Helm's image: {repository, tag})
    let vStart: number;
    let vEnd: number;
    let skip: SkipReason | undefined;
    if (rest[0] === '"' || rest[0] === "'") {
      const q = rest[0];
      const close = rest.indexOf(q, 1);
      if (close < 0) return; // multi-line quoted scalar: not an image reference dct can rewrite
      vStart = k + 1;
      vEnd = k + close;
      const inner = body.slice(vStart, vEnd);
      if ((q === '"' && inner.includes('\\')) || (q === "'" && rest[close + 1] === "'")) skip = 'escaped';
    } else {
      vStart = k;
      const hash = rest.search(/[ \t]#/);
      vEnd = k + (hash < 0 ? rest.length : hash);
      while (vEnd > vStart && (body[vEnd - 1] === ' ' || body[vEnd - 1] === '\t')) vEnd--;
      if (/^[{[&*!|>%@`]/.test(rest)) skip = rest.startsWith('{{') ? 'template' : 'yaml-syntax';
    }
    const value = body.slice(vStart, vEnd);
    if (!skip && value.includes('{{')) skip = 'template';
    if (!skip && value.includes('$')) skip = 'variable';
    if (!skip && siblingHasKey(lines, index, l.keyCol, 'build')) skip = 'compose-build';
    const start = l.start + vStart;
    refs.push({ start, end: l.start + vEnd, ...positionOf(text, start), text: value, kind: 'image', ...(skip ? { skip } : {}) });
  });
  return refs;
}
