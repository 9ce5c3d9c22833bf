/**
 * The soak's traffic, from the project's real clients: trust-metadata reads (plain GETs
 * of timestamp.json / targets.json), publishes of new targets versions (NotaryClient,
 * one publisher per repository so versions never race), and registry pushes and pulls
 * (RegistryClient). No client retries: every answer is recorded as it came, with its
 * start and end times, so that the report can tell failures inside the fault windows
 * from failures outside them. Every write the server acknowledged is remembered for the
 * check at the end.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { Writable } from 'node:stream';
import { NotaryClient, NotaryHttpError } from '../../src/adapters/notary-http/notary-client.js';
import { RegistryClient } from '../../src/adapters/registry/registry-client.js';
import { RegistryClientError } from '../../src/adapters/registry/registry-client-error.js';
import { targetFromContent, updateTargets, type PublishFile, type RepositoryState } from '../../src/app/create-repository.js';
import { descriptorOf, digestOf, OCI_MEDIA_TYPES } from '../../src/core/oci/index.js';
import { publishRepository } from '../server/repos.js';
import type { Replica } from './replicas.js';

export type Outcome = 'ok' | '4xx' | '5xx' | 'network' | 'other';

export interface Sample {
  op: string;
  replica: string;
  start: number;
  end: number;
  outcome: Outcome;
  /** status or error code, for the errors-by-kind table */
  detail: string;
}

export class Recorder {
  readonly samples: Sample[] = [];

  async time<T>(op: string, replica: Replica, fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; err: unknown }> {
    const start = Date.now();
    try {
      const value = await fn();
      this.samples.push({ op, replica: replica.opts.name, start, end: Date.now(), outcome: 'ok', detail: 'ok' });
      return { ok: true, value };
    } catch (err) {
      const { outcome, detail } = classify(err);
      this.samples.push({ op, replica: replica.opts.name, start, end: Date.now(), outcome, detail });
      return { ok: false, err };
    }
  }
}

function classify(err: unknown): { outcome: Outcome; detail: string } {
  const status =
    err instanceof NotaryHttpError
      ? err.details.status
      : err instanceof RegistryClientError
        ? err.status
        : err instanceof HttpStatusError
          ? err.status
          : undefined;
  if (status !== undefined && status >= 500) return { outcome: '5xx', detail: `${status} ${(err as { code?: string }).code ?? ''}`.trim() };
  if (status !== undefined && status >= 400) return { outcome: '4xx', detail: `${status} ${(err as { code?: string }).code ?? ''}`.trim() };
  const e = err as { code?: string; cause?: { code?: string }; message?: string };
  const net = e.cause?.code ?? e.code ?? '';
  if (/^E[A-Z]+$/.test(net) || /ECONNREFUSED|ECONNRESET|socket hang up|fetch failed|UND_ERR|TIMEOUT/i.test(`${net} ${e.message ?? ''}`))
    return { outcome: 'network', detail: net || 'network' };
  return { outcome: 'other', detail: `${e.code ?? 'error'}: ${(e.message ?? String(err)).slice(0, 120)}` };
}

export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** Picks the replicas in turn, skipping none: a killed replica's refusals are part of the record. */
export class RoundRobin<T> {
  private next = 0;
  constructor(readonly items: readonly T[]) {}
  pick(): T {
    const item = this.items[this.next % this.items.length] as T;
    this.next++;
    return item;
  }
}

// ---- trust data ------------------------------------------------------------------------------

export interface AckedTarget {
  gun: string;
  name: string;
  sha256: string;
  length: number;
}

export interface TrustRepo {
  gun: string;
  state: RepositoryState;
  targetsKey: KeyObject;
  /** the next targets version, signed, until the server has it */
  pending?: { files: PublishFile[]; name: string; content: Buffer; next: RepositoryState };
}

export function notaryClientFor(replica: Replica): NotaryClient {
  return new NotaryClient({ baseUrl: replica.url, retries: 0, timeoutMs: 15_000 });
}

/** A repository with no targets yet, published through `client` (server-managed snapshot). */
export async function createTrustRepo(client: NotaryClient, gun: string): Promise<TrustRepo> {
  const { state, targetsKey } = await publishRepository(client, gun, 0);
  return { gun, state, targetsKey };
}

/**
 * One publish of the repository's next targets version (one more target). A refusal
 * with VERSION after an unanswered attempt means the server kept that attempt: only
 * this loop writes this repository, so the stored version is these very bytes.
 */
export async function publishNext(
  repo: TrustRepo,
  client: NotaryClient,
  replica: Replica,
  rec: Recorder,
  acked: AckedTarget[],
  seq: number,
): Promise<void> {
  if (!repo.pending) {
    const name = `soak-${String(seq).padStart(6, '0')}`;
    const content = Buffer.from(`${repo.gun} ${name} ${randomBytes(8).toString('hex')}\n`);
    const update = await updateTargets(repo.state, {
      now: new Date(),
      targetsKey: repo.targetsKey,
      add: { [name]: targetFromContent(content) },
    });
    repo.pending = { files: update.files, name, content, next: { ...repo.state, targets: update.targets } };
  }
  const pending = repo.pending;
  const r = await rec.time('publish', replica, () => client.publish(repo.gun, pending.files));
  const keptEarlier = !r.ok && r.err instanceof NotaryHttpError && r.err.code === 'VERSION';
  if (r.ok || keptEarlier) {
    acked.push({
      gun: repo.gun,
      name: pending.name,
      sha256: createHash('sha256').update(pending.content).digest('hex'),
      length: pending.content.length,
    });
    repo.state = pending.next;
    repo.pending = undefined;
  }
}

export async function readMetadata(replica: Replica, gun: string, role: string, rec: Recorder): Promise<void> {
  await rec.time(`GET ${role}`, replica, async () => {
    const res = await fetch(`${replica.url}/v2/${gun}/_trust/tuf/${role}.json`, { signal: AbortSignal.timeout(15_000) });
    await res.arrayBuffer();
    if (res.status >= 400) throw new HttpStatusError(res.status);
  });
}

// ---- registry --------------------------------------------------------------------------------

export interface AckedImage {
  repo: string;
  tag: string;
  digest: string;
  blobs: { digest: string; size: number }[];
}

export function registryClientFor(replica: Replica): RegistryClient {
  return new RegistryClient(`127.0.0.1:${replica.opts.port}`, {
    endpoint: replica.url,
    retries: 0,
    timeoutMs: 15_000,
    idleTimeoutMs: 15_000,
  });
}

/** Pushes a small image of fresh random bytes (config + one layer + manifest) under a new tag. */
export async function pushImage(
  client: RegistryClient,
  replica: Replica,
  rec: Recorder,
  acked: AckedImage[],
  repo: string,
  seq: number,
): Promise<void> {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, soak: randomBytes(8).toString('hex') }),
  );
  const layer = randomBytes(16 * 1024 + (seq % 7) * 1024);
  const configDesc = descriptorOf(config, OCI_MEDIA_TYPES.config);
  const layerDesc = descriptorOf(layer, OCI_MEDIA_TYPES.layerGzip);
  for (const [bytes, desc] of [
    [config, configDesc],
    [layer, layerDesc],
  ] as const) {
    const r = await rec.time('blob upload', replica, () => client.uploadBlob(repo, desc, bytes));
    if (!r.ok) return;
  }
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA_TYPES.manifest, config: configDesc, layers: [layerDesc] }),
  );
  const tag = `t${seq}`;
  const r = await rec.time('manifest push', replica, () => client.putManifest(repo, tag, manifest, OCI_MEDIA_TYPES.manifest));
  if (r.ok)
    acked.push({ repo, tag, digest: digestOf(manifest), blobs: [configDesc, layerDesc].map((d) => ({ digest: d.digest, size: d.size })) });
}

const discard = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Pulls an acknowledged image: manifest by tag (its digest must be the pushed one), then its blobs (verified by the client). */
export async function pullImage(client: RegistryClient, replica: Replica, rec: Recorder, image: AckedImage): Promise<boolean> {
  const m = await rec.time('manifest pull', replica, () => client.getManifest(image.repo, image.tag));
  if (!m.ok) return true;
  if (m.value.digest !== image.digest) return false;
  for (const blob of image.blobs) {
    const r = await rec.time('blob pull', replica, () => client.getBlob(image.repo, blob, discard()));
    if (!r.ok) return true;
  }
  return true;
}
