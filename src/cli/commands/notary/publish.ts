/**
 * The pieces the notary commands share: building the context from the global
 * flags, staging changes, publishing them (the publish use case in
 * src/app/client/publish-changes.ts, then the changelist cleared),
 * `-p` auto-publish, confirmations, and the JSON report of `--format json`.
 */
import { rm } from 'node:fs/promises';
import { type NotaryChange } from '../../../app/client/notary-change.js';
import { publishChanges as publishChangeList } from '../../../app/client/publish-changes.js';
import type { TrustRepository } from '../../../app/client/trust-repository.js';
import type { PublicKey } from '../../../core/keys/public-key.js';
import type { Invocation } from '../../cobra/command.js';
import { CliFailure } from '../../cli-failure.js';
import { loadNotaryConfig, NotaryContext, type HostEnvironment } from './context.js';
import { Logger, notaryErrorText } from './output.js';

/** What a command prints: text as notary does, or (with --format json) one JSON document at the end. */
export class Report {
  readonly data: Record<string, unknown> = {};

  constructor(
    private readonly inv: Invocation,
    readonly json: boolean,
  ) {}

  /** text for people (suppressed in JSON mode) */
  text(s: string): void {
    if (!this.json) this.inv.io.out(s);
  }

  set(key: string, value: unknown): void {
    this.data[key] = value;
  }

  push(key: string, value: unknown): void {
    const list = (this.data[key] as unknown[] | undefined) ?? [];
    list.push(value);
    this.data[key] = list;
  }
}

export interface CommandRun {
  ctx: NotaryContext;
  report: Report;
  inv: Invocation;
}

/**
 * Runs a command body with its context (built after the command's own argument
 * checks, as notary reads its config only then); JSON mode prints the report.
 */
export async function withContext(inv: Invocation, host: HostEnvironment, body: (run: CommandRun) => Promise<void>): Promise<void> {
  const json = inv.flags.string('format') === 'json';
  if (inv.flags.string('format') !== '' && !json && inv.flags.string('format') !== 'table') {
    throw new CliFailure(`--format must be "table" or "json", not ${JSON.stringify(inv.flags.string('format'))}`);
  }
  const level = inv.flags.bool('debug') ? 'debug' : inv.flags.bool('verbose') ? 'info' : 'warning';
  const log = new Logger((line) => host.io.err(line), level);
  const config = loadNotaryConfig(inv.flags, host, log);
  const ctx = new NotaryContext(config, host, log, json);
  const report = new Report(inv, json);
  try {
    await body({ ctx, report, inv });
  } finally {
    ctx.close();
  }
  if (json) host.io.out(JSON.stringify(report.data, null, 2) + '\n');
}

/** Usage, then a fatal error (notary's `cmd.Usage(); return fmt.Errorf(…)`). */
export function usageError(inv: Invocation, message: string): CliFailure {
  inv.usage();
  return CliFailure.usage(message);
}

/** the GUN argument, also in the JSON report */
export function gunOf(r: CommandRun): string {
  const gun = r.inv.args[0] as string;
  r.report.set('gun', gun);
  return gun;
}

export async function stage(ctx: NotaryContext, gun: string, changes: readonly NotaryChange[]): Promise<void> {
  const cl = ctx.changelist(gun);
  for (const c of changes) await cl.add(c);
}

/** notary maybeAutoPublish */
export async function maybeAutoPublish(run: CommandRun, gun: string): Promise<void> {
  if (!run.inv.flags.bool('publish')) return;
  const repo = await run.ctx.repository(gun);
  run.report.text(`Auto-publishing changes to ${gun}\n`);
  await publishStaged(run, repo);
  run.report.text(`Successfully published changes for repository ${gun}\n`);
  run.report.set('published', true);
}

/** notary Publish: the staged changelist, cleared afterwards */
export async function publishStaged(run: CommandRun, repo: TrustRepository): Promise<void> {
  const cl = run.ctx.changelist(repo.gun);
  const changes = await cl.list();
  await publishChanges(run, repo, changes);
  try {
    await cl.clear();
  } catch {
    run.ctx.log.warn(`Unable to clear changelist. You may want to manually delete the folder ${cl.dir}`);
  }
}

/** notary publish(changelist) through the use case, with notary's log lines; the changelist is the caller's */
export async function publishChanges(run: CommandRun, repo: TrustRepository, changes: readonly NotaryChange[]): Promise<void> {
  const { ctx } = run;
  const ring = ctx.keyRing();
  await publishChangeList(repo, changes, {
    holdsKeyOf: async (keys: readonly PublicKey[]) => {
      for (const k of keys) if ((await ring.has(k.canonicalId)) || (await ring.has(k.id))) return true;
      return false;
    },
    // notary deletes the key file itself (not its legacy copies)
    retireKey: async (id) => {
      const info = await ctx.keyStore.info(id).catch(() => undefined);
      if (info) await rm(info.path, { force: true });
    },
    onEvent: (e) => {
      if (e.type === 'warning') ctx.log.warn(e.message);
      else if (e.type === 'error') ctx.log.error(e.message);
      else if (e.type === 'update-failed')
        ctx.log.error(`Could not publish Repository since we could not update: ${notaryErrorText(e.error)}`);
      else ctx.log.info(`No TUF data found locally or remotely - initializing repository ${e.gun} for the first time`);
    },
  });
}

/** notary askConfirm: one word from stdin, `y`/`yes` in any case */
export async function askConfirm(host: HostEnvironment): Promise<boolean> {
  const line = await readLine(host.stdin ?? process.stdin);
  const word = line.trim().split(/\s+/)[0] ?? '';
  return word.toLowerCase() === 'y' || word.toLowerCase() === 'yes';
}

function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (s: string) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onEnd);
      stream.pause();
      resolve(s);
    };
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const onEnd = () => done(buf);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onEnd);
    stream.resume();
  });
}

/** all of stdin */
export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
    stream.resume();
  });
}
