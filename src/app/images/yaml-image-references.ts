/**
 * Image references in YAML (Kubernetes manifests, compose files): every `image:` key, at
 * any indentation, in block list items (`- image: …`), plain, single- or double-quoted,
 * with or without a trailing comment, in any document of a multi-document file; block
 * scalar bodies (`|`, `>`) are skipped. Templated values (`{{ }}`, `$`) are reported; an
 * `image:` next to a `build:` key (compose builds that image) too.
 */
import type { FoundReference, SkipReason } from './found-reference.js';
import { positionOf, splitLines, type Line } from './text-lines.js';
import { yamlKeyOf } from './yaml-key.js';

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
    const found = yamlKeyOf(body, keyCol, dashes.length > 0 ? indent + dashes.lastIndexOf('-') : -1);
    out.push({ ...l, keyCol, item: dashes.length > 0, marker: false, ...(found ?? {}) });
    // a block scalar (`key: |`, `key: >-`, `- |`): its body is text, not YAML keys
    if (found && BLOCK_SCALAR.test(body.slice(found.afterColon))) blockIndent = keyCol;
    else if (!found && BLOCK_SCALAR.test(body.slice(keyCol))) blockIndent = keyCol - 2;
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
