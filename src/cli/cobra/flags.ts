/**
 * cobra CLIs' flags: how a command declares one (`FlagSpec`), and their values (pflag's bool,
 * string, stringSlice, stringArray, int, intSlice) read from a command line by the shared pflag
 * tokenizer, with pflag's error texts.
 */
import { CliFailure } from '../cli-failure.js';
import { readCsvLine } from '../pflag/csv.js';
import { flagDisplayName, pflagMessage, scanFlags } from '../pflag/scan.js';
import { goQuote, parseBool, parseInt64 } from '../pflag/strconv.js';

/** pflag's bool, string, stringSlice (`strings`: comma-separated, CSV-quoted), stringArray (each value whole), int, intSlice */
export type FlagKind = 'bool' | 'string' | 'strings' | 'stringArray' | 'int' | 'ints';
export type FlagValue = boolean | string | string[] | number | number[];

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  usage: string;
  /** default value (shown in usage when not the zero value) */
  def?: FlagValue;
  /** not listed in usage (dct extensions such as --format) */
  hidden?: boolean;
}

export class Flags {
  constructor(
    private readonly values: Map<string, FlagValue>,
    private readonly changedSet: Set<string>,
  ) {}

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  string(name: string): string {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : '';
  }
  /** a `strings` or `stringArray` flag's values; undefined when the flag was not given (Go's nil slice) */
  strings(name: string): string[] | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) && this.changedSet.has(name) ? (v as string[]) : undefined;
  }
  int(name: string): number {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : 0;
  }
  ints(name: string): number[] | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) && this.changedSet.has(name) ? (v as number[]) : undefined;
  }
  changed(name: string): boolean {
    return this.changedSet.has(name);
  }
}

/** `cmd` is the command the line names (a `Command`): its own and inherited flags are read. */
export function parseFlags(cmd: { allFlags(): FlagSpec[] }, args: string[]): { flags: Flags; positional: string[] } {
  const specs = cmd.allFlags();
  const values = new Map<string, FlagValue>();
  const changed = new Set<string>();
  for (const f of specs) values.set(f.name, f.def ?? zeroOf(f.kind));
  const positional: string[] = [];

  const set = (f: FlagSpec, raw: string) => {
    const fail = (why: string) =>
      CliFailure.usage(`invalid argument ${goQuote(raw)} for ${goQuote(flagDisplayName(f.name, f.short))} flag: ${why}`);
    switch (f.kind) {
      case 'bool': {
        const b = parseBool(raw);
        if (b === undefined) throw fail(`strconv.ParseBool: parsing ${goQuote(raw)}: invalid syntax`);
        values.set(f.name, b);
        break;
      }
      case 'string':
        values.set(f.name, raw);
        break;
      case 'int': {
        const n = parseInt64(raw);
        if (n === undefined) throw fail(`strconv.ParseInt: parsing ${goQuote(raw)}: invalid syntax`);
        values.set(f.name, n);
        break;
      }
      case 'strings': {
        let parts: string[];
        try {
          parts = raw === '' ? [] : readCsvLine(raw);
        } catch (err) {
          throw fail((err as Error).message);
        }
        values.set(f.name, changed.has(f.name) ? [...(values.get(f.name) as string[]), ...parts] : parts);
        break;
      }
      case 'stringArray':
        values.set(f.name, changed.has(f.name) ? [...(values.get(f.name) as string[]), raw] : [raw]);
        break;
      case 'ints': {
        const parts = raw === '' ? [] : raw.split(',');
        const nums: number[] = [];
        for (const p of parts) {
          if (!/^[+-]?\d+$/.test(p)) throw fail(`strconv.Atoi: parsing ${goQuote(p)}: invalid syntax`);
          nums.push(Number(p));
        }
        values.set(f.name, changed.has(f.name) ? [...(values.get(f.name) as number[]), ...nums] : nums);
        break;
      }
    }
    changed.add(f.name);
  };

  const items = scanFlags<FlagSpec>(args, {
    long: (name) => specs.find((x) => x.name === name),
    short: (letter) => specs.find((x) => x.short === letter),
    takesValue: (f) => f.kind !== 'bool',
    fail: (p) => CliFailure.usage(pflagMessage(p)),
  });
  for (const item of items) {
    if (item.kind === 'flag') set(item.flag, item.value ?? 'true');
    else if (item.kind === 'positional') positional.push(args[item.index] as string);
    else if (item.kind === 'end') positional.push(...args.slice(item.index));
  }
  return { flags: new Flags(values, changed), positional };
}

function zeroOf(kind: FlagKind): FlagValue {
  return kind === 'bool' ? false : kind === 'string' ? '' : kind === 'int' ? 0 : [];
}
