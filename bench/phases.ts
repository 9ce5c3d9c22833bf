/**
 * Diagnostics for optimisation work (not part of `npm run bench`):
 *   node --import tsx bench/phases.ts [targetCount]
 * where the time of dct verification of a generated targets file goes.
 */
import { verify as cryptoVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { canonicalize, parseJson } from '../src/core/canonical-json.js';
import { canonicalSignedText } from '../src/core/canonical-text.js';
import { isCanonicalBase64 } from '../src/core/encoding.js';
import { fileMetaFromJSON } from '../src/core/tuf/file-meta.js';
import { parseEnvelope, parseMetadata } from '../src/core/tuf/metadata.js';
import { Targets } from '../src/core/tuf/targets.js';
import { verifyThreshold } from '../src/core/tuf/verify.js';
import { generatedTargetsCase, type BenchCase } from './cases.js';

const count = Number(process.argv[2] ?? 10_000);
const c = await generatedTargetsCase(count);
const signedValue = parseEnvelope(c.bytes, c.role).signedValue as { targets: Record<string, unknown> };
const canonicalText = canonicalize(signedValue);
const text = c.bytes.toString();
const roleName = c.role;

const limit = (k: BenchCase) => {
  JSON.parse(k.bytes.toString());
  for (const check of k.checks) if (!cryptoVerify(check.algorithm, k.canonical, check.key, check.sig)) throw new Error('bad');
};
const dct = (k: BenchCase) => verifyThreshold(parseMetadata(k.bytes, k.role), k.keys, k.role);

const phases: Record<string, () => unknown> = {
  'bytes.toString': () => c.bytes.toString(),
  'JSON.parse(text)': (): unknown => JSON.parse(text) as unknown,
  'parseEnvelope (decode+parse+sigs)': () => parseEnvelope(c.bytes, c.role),
  'Targets.fromJSON': () => Targets.fromJSON(signedValue, c.role),
  '  Object.keys(targets)': () => Object.keys(signedValue.targets),
  '  names + isCanonicalBase64 of every digest': () => {
    const t = signedValue.targets as Record<string, { hashes: Record<string, string> }>;
    let ok = 0;
    for (const name of Object.keys(t)) {
      const hashes = (t[name] as { hashes: Record<string, string> }).hashes;
      for (const alg in hashes) ok += isCanonicalBase64(hashes[alg] as string) ? 1 : 0;
    }
    return ok;
  },
  '  targets loop, eager `where`': () => {
    const out: Record<string, unknown> = {};
    for (const [name, meta] of Object.entries(signedValue.targets))
      out[name] = fileMetaFromJSON(meta, `${roleName}.targets[${JSON.stringify(name)}]`);
    return out;
  },
  '  targets loop, lazy `where`': () => {
    const out: Record<string, unknown> = {};
    const t = signedValue.targets;
    for (const name of Object.keys(t)) out[name] = fileMetaFromJSON(t[name], () => `${roleName}.targets[${JSON.stringify(name)}]`);
    return out;
  },
  '  targets loop, hashes not decoded': () => {
    // lower bound for a lazily decoded model: FileMeta-shaped objects, digests kept as text
    const out: Record<string, unknown> = {};
    const t = signedValue.targets as Record<string, { length: number; hashes: Record<string, string> }>;
    for (const name of Object.keys(t)) {
      const m = t[name] as { length: number; hashes: Record<string, string> };
      const hashes: Record<string, string> = {};
      for (const alg of Object.keys(m.hashes)) hashes[alg] = m.hashes[alg] as string;
      out[name] = { length: m.length, hashes };
    }
    return out;
  },
  'canonicalize(signed)': () => canonicalize(signedValue),
  'canonicalSignedText(text)': () => canonicalSignedText(text),
  'Buffer.from(canonical)': () => Buffer.from(canonicalText, 'utf8'),
  'crypto.verify': () => {
    for (const k of c.checks) cryptoVerify(k.algorithm, c.canonical, k.key, k.sig);
  },
  'parseJson(bytes)': () => parseJson(c.bytes),
  'dct: parseMetadata+verifyThreshold': () => dct(c),
  'limit: JSON.parse+crypto.verify': () => limit(c),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
process.stdout.write(`phases of ${c.name} (${c.bytes.length} bytes), median of 25 runs:\n`);
for (const fn of Object.values(phases)) for (let i = 0; i < 5; i++) fn();
for (const [name, fn] of Object.entries(phases)) {
  const times: number[] = [];
  for (let i = 0; i < 25; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  process.stdout.write(`  ${name.padEnd(38)} ${median(times).toFixed(2).padStart(8)} ms\n`);
}
