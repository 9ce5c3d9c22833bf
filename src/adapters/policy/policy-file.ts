/**
 * The trust policy file (YAML; JSON is YAML too): read, parsed with line numbers (`yaml`'s
 * `parseDocument` + `LineCounter`), checked against the shipped JSON schema
 * (`schema/policy.schema.json`, through ajv) and compiled (`compilePolicy`: the checks a
 * schema cannot make). Every problem names the file, the line and the field:
 * `policy.yaml:12: rules[1].require.cosign.key: cannot use the key file …` (POLICY_INVALID).
 * cosign keys named by file are read relative to the policy file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Document, LineCounter } from 'yaml';
import { DctError } from '../../core/errors.js';
import { compilePolicy, PolicyIssues, type PolicyIssue } from '../../core/policy/compile-policy.js';
import { pathText, type PolicyPath, type TrustPolicy } from '../../core/policy/trust-policy.js';
import { lazyModule } from '../lazy-module.js';

// yaml and ajv (both CommonJS) load when a policy is first read, not with every command that
// may read one: together they are over a hundred modules, a tenth of a second of start-up
const yaml = lazyModule<typeof import('yaml')>('yaml', import.meta);
const ajv = lazyModule<typeof import('ajv')>('ajv', import.meta);

/** Larger files are refused (POLICY_FILE_UNREADABLE). */
export const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * The shipped schema, `schema/policy.schema.json` of the project: three folders up from this
 * module in `src/` and `dist/`, two from the bundled CLI's chunks in `dist/bin/`, so the nearest
 * one upwards.
 */
export function policySchemaPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'schema', 'policy.schema.json');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return fileURLToPath(new URL('../../../schema/policy.schema.json', import.meta.url));
}

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(policySchemaPath(), 'utf8')) as Record<string, unknown>;
    const { Ajv } = ajv();
    validator = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  }
  return validator;
}

export interface LoadedPolicy {
  policy: TrustPolicy;
  /** the file as given */
  file: string;
}

/** Reads, validates and compiles a policy file. Throws DctError POLICY_FILE_UNREADABLE, POLICY_SYNTAX_ERROR or POLICY_INVALID. */
export async function loadPolicyFile(file: string): Promise<LoadedPolicy> {
  let text: string;
  try {
    const info = await stat(file);
    if (info.size > MAX_POLICY_BYTES) throw new Error(`${info.size} bytes, more than the ${MAX_POLICY_BYTES} a policy may have`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DctError('POLICY_FILE_UNREADABLE', `cannot read the policy file ${file}: ${(err as Error).message}`);
  }
  return { policy: parsePolicyText(text, file), file };
}

/** Parses and validates policy text; `file` names it in errors and anchors relative key files. */
export function parsePolicyText(text: string, file: string): TrustPolicy {
  const name = basename(file);
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
    throw new DctError('POLICY_SYNTAX_ERROR', `${name}:${line}: not YAML or JSON: ${e.message.split('\n')[0] ?? e.message}`);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const validate = schemaValidator();
  if (!validate(value)) throw invalid(name, doc, lines, schemaIssues(validate.errors ?? []));
  const dir = dirname(resolve(file));
  try {
    return compilePolicy(value, { readKeyFile: (written) => readFileSync(resolve(dir, written), 'utf8') });
  } catch (err) {
    if (err instanceof PolicyIssues) throw invalid(name, doc, lines, err.issues);
    throw err;
  }
}

/** The schema's complaints as issues with paths, the most precise first (a `oneOf`'s summary dropped when its branches speak). */
function schemaIssues(errors: readonly ErrorObject[]): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    const path: Array<string | number> = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const params = e.params as Record<string, unknown>;
    let message = e.message ?? 'is not valid';
    if (e.keyword === 'additionalProperties') {
      path.push(String(params['additionalProperty']));
      const allowed = Object.keys((e.parentSchema?.['properties'] as Record<string, unknown> | undefined) ?? {});
      message = `unknown field${allowed.length > 0 ? ` (expected ${allowed.join(', ')})` : ''}`;
    } else if (e.keyword === 'required') {
      path.push(String(params['missingProperty']));
      message = 'missing';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${((params['allowedValues'] as unknown[]) ?? []).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify(params['allowedValue'])}`;
    } else if (e.keyword === 'maxProperties' || e.keyword === 'minProperties') {
      message = 'must have exactly one of dct, cosign, notation, anyOf, allOf, atLeast';
    }
    const key = `${path.join('/')}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  // a type error under a oneOf (match: string or list) repeats per branch: keep one per path
  const byPath = new Map<string, PolicyIssue>();
  for (const i of out) if (!byPath.has(i.path.join('/'))) byPath.set(i.path.join('/'), i);
  return [...byPath.values()];
}

/** The line of the field `path` names (1-based): its key, or its list item; a missing field: its parent's. */
function lineOf(doc: Document, lines: LineCounter, path: PolicyPath): number {
  const { isMap, isScalar, isSeq } = yaml();
  for (let n = path.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      const at = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      if (at !== undefined) return lines.linePos(at).line;
    } else if (isSeq(parent) && typeof last === 'number') {
      const item = parent.items[last];
      if ((isMap(item) || isSeq(item) || isScalar(item)) && item.range) return lines.linePos(item.range[0]).line;
    }
  }
  const top = doc.contents;
  return top?.range ? lines.linePos(top.range[0]).line : 1;
}

function invalid(name: string, doc: Document, lines: LineCounter, issues: readonly PolicyIssue[]): DctError {
  const text = issues.map((i) => `${name}:${lineOf(doc, lines, i.path)}: ${i.path.length > 0 ? `${pathText(i.path)}: ` : ''}${i.message}`);
  return new DctError('POLICY_INVALID', text.join('\n'));
}
