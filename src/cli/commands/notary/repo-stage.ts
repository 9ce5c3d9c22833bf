/** notary `add`, `addhash`, `remove` and `witness`: changes staged in the changelist (published with `-p`). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { goCompactJson } from '../../../app/client/change-content-json.js';
import { addTargetChanges, removeTargetChanges, witnessChange } from '../../../app/client/notary-change.js';
import { fileMetaOf, type FileMeta } from '../../../core/tuf/file-meta.js';
import { CliFailure } from '../../cli-failure.js';
import { fsError } from './output.js';
import { maybeAutoPublish, stage, type CommandRun } from './publish.js';

/** the custom file, as raw JSON (notary keeps it as a json.RawMessage) */
async function readCustom(r: CommandRun): Promise<Buffer | undefined> {
  const file = r.inv.flags.string('custom');
  if (file === '') return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(resolve(r.ctx.host.cwd, file));
  } catch (err) {
    throw new CliFailure(fsError(err, file));
  }
  try {
    goCompactJson(bytes.toString('utf8'));
  } catch (err) {
    throw new CliFailure(`json: error calling MarshalJSON for type *json.RawMessage: ${(err as Error).message}`);
  }
  return bytes;
}

function withCustom(meta: FileMeta, custom: Buffer | undefined): FileMeta {
  if (!custom) return meta;
  return { ...meta, custom: JSON.parse(custom.toString('utf8')) as FileMeta['custom'] & object };
}

export async function add(r: CommandRun): Promise<void> {
  const [gun, name, path] = r.inv.args as [string, string, string];
  r.report.set('gun', gun);
  const custom = await readCustom(r);
  let bytes: Buffer;
  try {
    bytes = await readFile(resolve(r.ctx.host.cwd, path));
  } catch (err) {
    throw new CliFailure(fsError(err, path));
  }
  const meta = withCustom(fileMetaOf(bytes), custom);
  await stage(r.ctx, gun, addTargetChanges(name, meta, r.inv.flags.strings('roles') ?? [], custom));
  r.report.text(`Addition of target "${name}" to repository "${gun}" staged for next publish.\n`);
  r.report.set('staged', {
    action: 'add',
    target: name,
    digest: meta.hashes['sha256']?.toString('hex'),
    size: meta.length,
    roles: r.inv.flags.strings('roles') ?? ['targets'],
  });
  await maybeAutoPublish(r, gun);
}

export async function addHash(r: CommandRun): Promise<void> {
  const [gun, name, size] = r.inv.args as [string, string, string];
  r.report.set('gun', gun);
  const custom = await readCustom(r);
  const length = parseGoInt64(size);
  const hashes: Record<string, Buffer> = {};
  for (const [alg, hexLen] of [
    ['sha256', 64],
    ['sha512', 128],
  ] as const) {
    const hex = r.inv.flags.string(alg);
    if (hex === '') continue;
    if (hex.length !== hexLen) throw new CliFailure(`invalid ${alg} hex contents provided`);
    const bad = /[^0-9a-fA-F]/.exec(hex);
    if (bad)
      throw new CliFailure(
        `encoding/hex: invalid byte: U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} ${goRuneQuote(bad[0])}`,
      );
    hashes[alg] = Buffer.from(hex, 'hex');
  }
  const meta = withCustom({ length, hashes }, custom);
  await stage(r.ctx, gun, addTargetChanges(name, meta, r.inv.flags.strings('roles') ?? [], custom));
  r.report.text(`Addition of target "${name}" by ${Object.keys(hashes).join(', ')} hash to repository "${gun}" staged for next publish.\n`);
  r.report.set('staged', {
    action: 'add',
    target: name,
    size: length,
    hashes: Object.keys(hashes),
    roles: r.inv.flags.strings('roles') ?? ['targets'],
  });
  await maybeAutoPublish(r, gun);
}

function goRuneQuote(c: string): string {
  return c === "'" ? "'\\''" : `'${c}'`;
}

/** strconv.ParseInt(s, 0, 64) */
function parseGoInt64(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s.replace(/_/g, ''));
  if (!m) throw new CliFailure(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const body = m[2] as string;
  let v: bigint;
  if (/^0[xXbBoO]/.test(body)) v = BigInt(body.toLowerCase().replace(/^0o/, '0o'));
  else if (body.length > 1 && body.startsWith('0')) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (m[1] === '-') v = -v;
  if (v > 9223372036854775807n || v < -9223372036854775808n)
    throw new CliFailure(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < 0n) throw new CliFailure(`target size ${s} is not supported (0 to 2^53-1 bytes)`);
  return Number(v);
}

export async function remove(r: CommandRun): Promise<void> {
  const [gun, name] = r.inv.args as [string, string];
  r.report.set('gun', gun);
  await stage(r.ctx, gun, removeTargetChanges(name, r.inv.flags.strings('roles') ?? []));
  r.report.text(`Removal of ${name} from ${gun} staged for next publish.\n`);
  r.report.set('staged', { action: 'remove', target: name, roles: r.inv.flags.strings('roles') ?? ['targets'] });
  await maybeAutoPublish(r, gun);
}

export async function witness(r: CommandRun): Promise<void> {
  const [gun, ...roles] = r.inv.args as [string, ...string[]];
  r.report.set('gun', gun);
  const cl = r.ctx.changelist(gun);
  const done: string[] = [];
  for (const role of roles) {
    try {
      await cl.add(witnessChange(role));
    } catch (err) {
      r.report.text(`Some roles have failed to be marked for witnessing: ${(err as Error).message}`);
      break;
    }
    done.push(role);
  }
  r.report.text(`The following roles were successfully marked for witnessing on the next publish:\n\t- ${done.join('\n\t- ')}\n`);
  r.report.set('witnessed', done);
  await maybeAutoPublish(r, gun);
}
