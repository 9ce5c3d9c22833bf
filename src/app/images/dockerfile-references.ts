/**
 * Image references in Dockerfiles: the image of every `FROM [--flag=…]… IMAGE [AS NAME]`
 * instruction (keywords in any case, `\` or the `# escape=` character continuing lines,
 * comment and blank lines inside continuations, heredoc bodies skipped). `scratch`,
 * earlier stage names and references with `$` variables are reported, not rewritten.
 * The images BuildKit reads besides: `COPY --from=IMAGE` and `RUN --mount=…,from=IMAGE,…`
 * (a stage name or index there is no image: not listed).
 */
import type { FoundReference, SkipReason } from './found-reference.js';
import { positionOf, splitLines, type Line } from './text-lines.js';

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
    } else if (keyword === 'copy' || keyword === 'run') {
      for (const t of tokens.slice(1)) {
        if (!t.text.startsWith('--')) break;
        const at = keyword === 'copy' ? flagValueAt(t.text, 'from') : mountFromAt(t.text);
        if (at === undefined) continue;
        const value = at.value;
        const lower = value.toLowerCase();
        if (value === '' || /^\d+$/.test(value) || stages.has(lower)) continue;
        const skip: SkipReason | undefined = t.split ? 'continuation' : value.includes('$') ? 'variable' : undefined;
        const start = t.start + at.offset;
        references.push({
          start,
          end: start + value.length,
          ...positionOf(text, start),
          text: value,
          kind: keyword === 'copy' ? 'copy-from' : 'mount-from',
          ...(skip ? { skip } : {}),
        });
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

/** `--name=VALUE`: the value and its offset in the token. */
function flagValueAt(token: string, name: string): { value: string; offset: number } | undefined {
  const prefix = `--${name}=`;
  return token.toLowerCase().startsWith(prefix) ? { value: token.slice(prefix.length), offset: prefix.length } : undefined;
}

/** `--mount=type=…,from=VALUE,…`: the `from` field's value and its offset in the token. */
function mountFromAt(token: string): { value: string; offset: number } | undefined {
  const mount = flagValueAt(token, 'mount');
  if (!mount) return undefined;
  let offset = mount.offset;
  for (const field of mount.value.split(',')) {
    if (field.toLowerCase().startsWith('from=')) return { value: field.slice('from='.length), offset: offset + 'from='.length };
    offset += field.length + 1;
  }
  return undefined;
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
