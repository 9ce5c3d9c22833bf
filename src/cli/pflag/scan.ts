/**
 * pflag's tokenizer (spf13/pflag `flag.go`: parseArgs, parseLongArg,
 * parseSingleShortArg), the one reading of a command line behind every cobra
 * grammar dct speaks: notary's, docker's and docker trust's. Each front end
 * keeps its own flag set, values and error texts; this walks the arguments:
 *
 * - `--name value`, `--name=value`, a bool flag bare (`--name`) or `--name=false`;
 * - shorthands `-n value`, `-nvalue`, `-n=value`, grouped bools `-yp`, `-yn value`;
 * - flags anywhere among the arguments (or, not interspersed, until the first
 *   positional); `--` ends the flags; `-` and `` are positionals.
 *
 * Items come out in order (a generator), so a front end that fails on a bad value
 * fails on the first one, as pflag does. No I/O.
 */

/** How a front end finds its flags. */
export interface FlagLookup<F> {
  long(name: string): F | undefined;
  short(letter: string): F | undefined;
  /** false for a flag that needs no value (pflag's NoOptDefVal: the bools) */
  takesValue(flag: F): boolean;
}

/** A command line pflag refuses; the front end words it (see `pflagMessage` for pflag's own text). */
export interface SyntaxProblem {
  /** 'bad-syntax': `---x`, `--=x`; 'unknown': no such flag; 'needs-argument': a value flag last on the line */
  reason: 'bad-syntax' | 'unknown' | 'needs-argument';
  /** the whole argument */
  token: string;
  /** a long flag's name (the text between `--` and any `=`), or a shorthand's letter */
  name: string;
  /** for a shorthand: the letters from this one on (pflag prints `in -<shorthands>`) */
  shorthands?: string;
}

export interface ScanOptions<F> extends FlagLookup<F> {
  /** index of the first argument to read (default 0) */
  start?: number;
  /** false: the first positional ends the flags (pflag `SetInterspersed(false)`); default true */
  interspersed?: boolean;
  /** an unknown `--name=value` is passed over as an 'unknown' item instead of failing */
  keepUnknownWithValue?: boolean;
  /**
   * `-x=` with nothing after the `=`: 'pflag' reads it as pflag does (a value flag
   * gets `=`, a bool is set and `=` is an unknown shorthand); 'always' attaches the
   * empty value after the `=`, as dct's docker and docker trust grammars always did.
   */
  shorthandEquals?: 'pflag' | 'always';
  /** the error to throw for a command line pflag refuses */
  fail(problem: SyntaxProblem): Error;
}

export type ScanItem<F> =
  /** a flag and its value (undefined: a flag that takes none, given bare); argv[from..to] hold it */
  | { kind: 'flag'; flag: F; value: string | undefined; from: number; to: number }
  /** an unknown `--name=value` (with `keepUnknownWithValue`) */
  | { kind: 'unknown'; index: number }
  | { kind: 'positional'; index: number }
  /** the flags end: argv[index..] are all arguments (after `--`, or from the first positional when not interspersed) */
  | { kind: 'end'; index: number; dashDash: boolean };

export function* scanFlags<F>(argv: readonly string[], opts: ScanOptions<F>): Generator<ScanItem<F>, void, undefined> {
  const interspersed = opts.interspersed ?? true;
  for (let i = opts.start ?? 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      yield { kind: 'end', index: i + 1, dashDash: true };
      return;
    }
    if (a.length < 2 || a[0] !== '-') {
      if (!interspersed) {
        yield { kind: 'end', index: i, dashDash: false };
        return;
      }
      yield { kind: 'positional', index: i };
    } else if (a.startsWith('--')) {
      i = yield* longFlag(argv, i, opts);
    } else {
      i = yield* shorthandFlags(argv, i, opts);
    }
  }
}

/** `--name`, `--name=value`, `--name value`; returns the index of the last argument used */
function* longFlag<F>(argv: readonly string[], i: number, opts: ScanOptions<F>): Generator<ScanItem<F>, number, undefined> {
  const token = argv[i] as string;
  const body = token.slice(2);
  const eq = body.indexOf('=');
  const name = eq < 0 ? body : body.slice(0, eq);
  const value = eq < 0 ? undefined : body.slice(eq + 1);
  const bad = body[0] === '-' || body[0] === '=';
  const flag = bad ? undefined : opts.long(name);
  if (flag === undefined) {
    if (value !== undefined && opts.keepUnknownWithValue) {
      yield { kind: 'unknown', index: i };
      return i;
    }
    throw opts.fail({ reason: bad ? 'bad-syntax' : 'unknown', token, name });
  }
  if (value !== undefined || !opts.takesValue(flag)) {
    yield { kind: 'flag', flag, value, from: i, to: i };
    return i;
  }
  if (i + 1 >= argv.length) throw opts.fail({ reason: 'needs-argument', token, name });
  yield { kind: 'flag', flag, value: argv[i + 1] as string, from: i, to: i + 1 };
  return i + 1;
}

/** `-abc`, `-n=value`, `-nvalue`, `-n value`; returns the index of the last argument used */
function* shorthandFlags<F>(argv: readonly string[], i: number, opts: ScanOptions<F>): Generator<ScanItem<F>, number, undefined> {
  const token = argv[i] as string;
  const always = opts.shorthandEquals === 'always';
  let shorthands = token.slice(1);
  while (shorthands.length > 0) {
    const letter = shorthands[0] as string;
    const flag = opts.short(letter);
    if (flag === undefined) throw opts.fail({ reason: 'unknown', token, name: letter, shorthands });
    if (shorthands[1] === '=' && (always || shorthands.length > 2)) {
      yield { kind: 'flag', flag, value: shorthands.slice(2), from: i, to: i };
      return i;
    }
    if (!opts.takesValue(flag)) {
      yield { kind: 'flag', flag, value: undefined, from: i, to: i };
      shorthands = shorthands.slice(1);
      continue;
    }
    if (shorthands.length > 1) {
      yield { kind: 'flag', flag, value: shorthands.slice(1), from: i, to: i };
      return i;
    }
    if (i + 1 >= argv.length) throw opts.fail({ reason: 'needs-argument', token, name: letter, shorthands });
    yield { kind: 'flag', flag, value: argv[i + 1] as string, from: i, to: i + 1 };
    return i + 1;
  }
  return i;
}

/** pflag's own text for a refused command line */
export function pflagMessage(p: SyntaxProblem): string {
  if (p.reason === 'bad-syntax') return `bad flag syntax: ${p.token}`;
  if (p.shorthands === undefined) return p.reason === 'unknown' ? `unknown flag: --${p.name}` : `flag needs an argument: --${p.name}`;
  return p.reason === 'unknown'
    ? `unknown shorthand flag: '${p.name}' in -${p.shorthands}`
    : `flag needs an argument: '${p.name}' in -${p.shorthands}`;
}

/** How pflag names a flag in `invalid argument … for "<name>" flag`: `-s, --server` or `--server` */
export function flagDisplayName(name: string, short: string | undefined): string {
  return short ? `-${short}, --${name}` : `--${name}`;
}
