/**
 * The command lines of the benches: flags, positive whole numbers and `--json`, on node's own
 * `util.parseArgs`. An unknown flag or a bad number throws an Error that ends with the usage text.
 */
import { parseArgs } from 'node:util';

export interface FlagSpec {
  /** a positive whole number (`--rounds 5`) */
  count?: readonly string[];
  /** a string (`--cpu-prof DIR`) */
  text?: readonly string[];
  /** on when present (`--json`, `--skip-process`) */
  switch?: readonly string[];
}

export interface ParsedFlags {
  counts: Map<string, number>;
  texts: Map<string, string>;
  switches: Set<string>;
}

/** Parses `argv` by `spec`; `usage` is appended to every refusal. */
export function parseBenchFlags(argv: readonly string[], spec: FlagSpec, usage: string): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const name of [...(spec.count ?? []), ...(spec.text ?? [])]) options[name] = { type: 'string' };
  for (const name of spec.switch ?? []) options[name] = { type: 'boolean' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(message)?.[1] : undefined;
    throw new Error(`${unknown !== undefined ? `unknown option ${unknown}` : message}\n${usage}`);
  }
  const parsed: ParsedFlags = { counts: new Map(), texts: new Map(), switches: new Set() };
  for (const name of spec.count ?? []) {
    const raw = values[name];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer\n${usage}`);
    parsed.counts.set(name, n);
  }
  for (const name of spec.text ?? []) {
    const raw = values[name];
    if (typeof raw !== 'string') continue;
    if (raw.trim() === '') throw new Error(`--${name} needs a value\n${usage}`);
    parsed.texts.set(name, raw);
  }
  for (const name of spec.switch ?? []) if (values[name] === true) parsed.switches.add(name);
  return parsed;
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
