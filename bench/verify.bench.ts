/**
 * Verification cost of dct relative to the "crypto limit".
 *
 *   dct    = parseMetadata(bytes, role) + verifyThreshold(md, keys, role)
 *            (parse with every check, typed model, the canonical bytes of
 *            `signed`, crypto)
 *   limit  = JSON.parse(bytes.toString()) + crypto.verify of the same
 *            signatures over canonical bytes computed beforehand: a floor for
 *            verifiers built on JSON.parse (dct reads a canonical targets file
 *            in one pass without it, so that row can go below 1)
 *
 * Usage: npm run bench [-- --json] [-- --filter <substring>] [-- --budget <seconds>] [-- --aggregate-only]
 * See bench/README.md.
 */
import { verify as cryptoVerify } from 'node:crypto';
import { parseMetadata } from '../src/core/tuf/metadata.js';
import { verifyThreshold } from '../src/core/tuf/verify.js';
import { fixtureCases, generatedTargetsCase, type BenchCase } from './cases.js';
import { measurePair, type PairResult } from './harness.js';

interface Options {
  json: boolean;
  filter: string | undefined;
  /** total seconds of measurement (split over the rows) */
  budgetS: number;
  perFile: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { json: false, filter: undefined, budgetS: 35, perFile: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') opts.json = true;
    else if (arg === '--filter') opts.filter = argv[++i];
    else if (arg === '--budget') opts.budgetS = Number(argv[++i]);
    else if (arg === '--aggregate-only') opts.perFile = false;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench -- [--json] [--filter <substring>] [--budget <seconds>] [--aggregate-only]\n');
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument ${String(arg)}\n`);
      process.exit(2);
    }
  }
  if (!Number.isFinite(opts.budgetS) || opts.budgetS <= 0) throw new Error('--budget must be a positive number of seconds');
  return opts;
}

/** What a client does with the bytes. */
function dctVerify(c: BenchCase): void {
  verifyThreshold(parseMetadata(c.bytes, c.role), c.keys, c.role);
}

let sink = 0;

/** JSON.parse + the signature math, nothing else. */
function limitVerify(c: BenchCase): void {
  const doc = JSON.parse(c.bytes.toString()) as { signed: unknown };
  if (doc.signed === undefined) throw new Error('no signed');
  for (const check of c.checks) {
    if (!cryptoVerify(check.algorithm, c.canonical, check.key, check.sig)) throw new Error(`${c.name}: limit signature check failed`);
  }
  sink ^= c.checks.length;
}

interface Row {
  name: string;
  files: number;
  bytes: number;
  signatures: number;
  dctUs: number;
  limitUs: number;
  ratio: number;
  pairedRatio: number;
  rounds: number;
  opsPerBatch: number;
}

function row(name: string, cases: BenchCase[], r: PairResult): Row {
  return {
    name,
    files: cases.length,
    bytes: cases.reduce((n, c) => n + c.bytes.length, 0),
    signatures: cases.reduce((n, c) => n + c.checks.length, 0),
    dctUs: r.aNs / 1000,
    limitUs: r.bNs / 1000,
    ratio: r.aNs / r.bNs,
    pairedRatio: r.ratio,
    rounds: r.rounds,
    opsPerBatch: r.opsPerBatch,
  };
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
}

function printTable(rows: Row[]): void {
  const header = ['case', 'files', 'bytes', 'sigs', 'dct', 'limit', 'ratio'];
  const cells = rows.map((r) => [
    r.name,
    String(r.files),
    String(r.bytes),
    String(r.signatures),
    fmtUs(r.dctUs),
    fmtUs(r.limitUs),
    `${r.ratio.toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number))).join('  ');
  process.stdout.write(line(header) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  for (const c of cells) process.stdout.write(line(c) + '\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const log = (s: string) => {
    if (!opts.json) process.stderr.write(s + '\n');
  };
  const started = performance.now();

  const big = await generatedTargetsCase(10_000);
  const fixtures = fixtureCases();
  const wanted = (name: string) => opts.filter === undefined || name.includes(opts.filter);

  // Budget: 35% for the 10k file, 15% for the aggregate, 50% shared by the per-file rows.
  const budgetMs = opts.budgetS * 1000;
  const rows: Row[] = [];

  if (wanted(big.name)) {
    log(`measuring ${big.name} (${big.bytes.length} bytes)…`);
    const r = measurePair(
      () => dctVerify(big),
      () => limitVerify(big),
      { budgetMs: budgetMs * 0.35, batchMs: 20, warmupMs: 1500 },
    );
    rows.push(row(big.name, [big], r));
  }

  const selected = wanted('fixtures-all') ? fixtures : fixtures.filter((c) => wanted(c.name));
  if (selected.length > 0) {
    log(`measuring ${selected.length} fixture files as one aggregate…`);
    const all = () => {
      for (const c of selected) dctVerify(c);
    };
    const lim = () => {
      for (const c of selected) limitVerify(c);
    };
    const r = measurePair(all, lim, { budgetMs: budgetMs * 0.15, batchMs: 20 });
    rows.push(row(selected.length === fixtures.length ? 'fixtures-all' : `fixtures-matching:${String(opts.filter)}`, selected, r));
  }

  if (opts.perFile) {
    const perFile = fixtures.filter((c) => wanted(c.name));
    const each = perFile.length > 0 ? (budgetMs * 0.5) / perFile.length : 0;
    for (const c of perFile) {
      log(`measuring ${c.name}…`);
      const r = measurePair(
        () => dctVerify(c),
        () => limitVerify(c),
        { budgetMs: each, warmupMs: Math.min(150, each / 3) },
      );
      rows.push(row(c.name, [c], r));
    }
  }

  const elapsedS = (performance.now() - started) / 1000;
  if (opts.json) {
    process.stdout.write(
      JSON.stringify(
        {
          node: process.version,
          platform: `${process.platform}-${process.arch}`,
          elapsedSeconds: Number(elapsedS.toFixed(1)),
          goal: 1.3,
          rows: rows.map((r) => ({
            ...r,
            dctUs: Number(r.dctUs.toFixed(2)),
            limitUs: Number(r.limitUs.toFixed(2)),
            ratio: Number(r.ratio.toFixed(3)),
            pairedRatio: Number(r.pairedRatio.toFixed(3)),
          })),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    printTable(rows);
    process.stdout.write('\n');
    for (const r of rows) process.stdout.write(`RESULT ${r.name} ratio=${r.ratio.toFixed(2)}\n`);
    process.stdout.write(
      `\n(node ${process.version}, ${elapsedS.toFixed(1)} s; ratio = median dct time / median limit time, goal ≤ 1.30)\n`,
    );
  }
  if (sink === -1) process.stdout.write('');
}

await main();
