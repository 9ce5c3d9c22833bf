/**
 * Finding and rewriting image references in Dockerfiles (dockerfile-references.ts),
 * Kubernetes YAML and compose files (yaml-image-references.ts), byte for byte: everything
 * but the references themselves stays as it was. No I/O; the caller reads a file as
 * `latin1` (one char per byte, so that any encoding survives) and writes the result back
 * the same way.
 */
import { DctError } from '../../core/errors.js';
import { parseDockerfile } from './dockerfile-references.js';
import type { FoundReference } from './found-reference.js';
import { findYamlReferences } from './yaml-image-references.js';

export type PinFileKind = 'dockerfile' | 'yaml';

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
