/** notary `list`, `lookup` and `verify`: targets of a repository read from the server (or the cache). */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { byteOrder } from '../../../app/client/change-content-json.js';
import { hexOfBase64All } from '../../../core/encoding.js';
import type { FileMeta } from '../../../core/tuf/file-meta.js';
import { CliFailure } from '../../cli-failure.js';
import type { HostEnvironment } from './context.js';
import { notaryErrorText, notaryTable, fsError } from './output.js';
import { gunOf, readAll, type CommandRun } from './publish.js';
import type { TrustRepository } from '../../../app/client/trust-repository.js';

async function readRepository(r: CommandRun, gun: string) {
  return readWith(r, await r.ctx.repository(gun));
}

async function readWith(r: CommandRun, repo: TrustRepository) {
  const { trusted, warnings } = await repo.read();
  for (const w of warnings) r.ctx.log.warn(w);
  return trusted;
}

export async function list(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const trusted = await readRepository(r, gun);
  const roles = r.inv.flags.strings('roles') ?? [];
  const targets = trusted.listTargetSummaries(roles.length > 0 ? roles : ['targets']).sort((a, b) => byteOrder(a.name, b.name));
  const digests = hexOfBase64All(targets.map((t) => t.sha256));
  const rows = targets.map((t, i) => ({ name: t.name, digest: digests[i] as string, size: t.length, role: t.role }));
  r.report.set('targets', rows);
  if (rows.length === 0) {
    r.report.text('\nNo targets present in this repository.\n\n');
    return;
  }
  r.report.text(
    notaryTable(
      ['NAME', 'DIGEST', 'SIZE (BYTES)', 'ROLE'],
      rows.map((t) => [t.name, t.digest, String(t.size), t.role]),
    ),
  );
}

export async function lookup(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const name = r.inv.args[1] as string;
  const trusted = await readRepository(r, gun);
  const found = trusted.findTarget(name, ['targets']);
  if (!found) throw new CliFailure(`No valid trust data for ${name}`);
  const digest = found.meta.hashes['sha256']?.toString('hex') ?? '';
  r.report.set('target', { name, digest, size: found.meta.length, role: found.role });
  r.report.text(`${name} sha256:${digest} ${found.meta.length}\n`);
}

export async function verify(r: CommandRun, host: HostEnvironment): Promise<void> {
  const { inv } = r;
  const input = inv.flags.string('input');
  let payload: Buffer;
  if (input !== '') {
    try {
      payload = await readFile(resolve(host.cwd, input));
    } catch (err) {
      throw new CliFailure(fsError(err, input));
    }
  } else {
    payload = await readAll(host.stdin ?? process.stdin);
  }
  const gun = gunOf(r);
  const name = inv.args[1] as string;
  let found;
  const repo = await r.ctx.repository(gun);
  try {
    const trusted = await readWith(r, repo);
    found = trusted.findTarget(name, ['targets']);
    if (!found) throw new CliFailure(`No valid trust data for ${name}`);
  } catch (err) {
    throw new CliFailure(`error retrieving target by name:${name}, error:${notaryErrorText(err)}`);
  }
  const problem = checkHashes(payload, name, found.meta);
  if (problem) throw new CliFailure(`data not present in the trusted collection, ${problem}`);
  r.report.set('verified', { name, role: found.role, size: payload.length });
  if (inv.flags.bool('quiet')) return;
  const output = inv.flags.string('output');
  if (output !== '') await writeFile(resolve(host.cwd, output), payload, { mode: 0o600 });
  else if (!r.report.json) {
    if (host.io.bytes) host.io.bytes(payload);
    else host.io.out(payload.toString('utf8'));
  }
}

/** notary data.CheckHashes */
function checkHashes(payload: Buffer, name: string, meta: FileMeta): string | undefined {
  let count = 0;
  for (const alg of ['sha256', 'sha512'] as const) {
    const want = meta.hashes[alg];
    if (!want) continue;
    const got = createHash(alg).update(payload).digest();
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return `${alg} checksum for ${name} did not match: expected ${want.toString('hex')}`;
    count++;
  }
  return count === 0 ? `no checksums for supported algorithms were provided for ${name}` : undefined;
}
