/**
 * Pushing an image (a manifest, or an index and its manifests) to a registry:
 * every blob first (already there, mounted, or uploaded), then the manifests an
 * index names (by digest), then the root manifest under the tag. Nothing is
 * re-serialised: the registry receives the manifest bytes the source holds, so
 * the digest that is signed afterwards is the digest that was pushed.
 */
import { mapBounded } from '../../core/bounded-map.js';
import { DctError } from '../../core/errors.js';
import type { Descriptor } from '../../core/oci/descriptor.js';

/**
 * One thing to push, children before parents. `S` is where a blob's bytes are read
 * from: whatever the source and the registry agree on (byte ranges of files, bytes).
 */
export interface PushItem<S> {
  descriptor: Descriptor;
  kind: 'index' | 'manifest' | 'config' | 'layer' | 'blob';
  /** manifests: their exact bytes */
  bytes?: Buffer;
  /** blobs: where to read them */
  source?: S;
  /** a foreign layer: referenced by URL, never uploaded */
  foreign?: boolean;
}

/** The port to the image source: what to push (an OCI layout's or a docker archive's plan). */
export interface PushPlan<S> {
  /** the manifest or index pushed under the tag */
  root: Descriptor & { bytes: Buffer };
  items: ReadonlyArray<PushItem<S>>;
}

/** The port to the registry: the operations a push needs (`RegistryClient` has them). */
export interface RegistryWriter<S> {
  ensureBlob(
    repo: string,
    descriptor: Descriptor,
    source: S,
    opts?: { mountFrom?: readonly string[]; onProgress?: (sent: number, total: number) => void },
  ): Promise<'exists' | 'mounted' | 'uploaded'>;
  putManifest(repo: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<{ digest: string }>;
}

export interface PushEvents {
  /** a blob started (0), progressed, or finished (`done`) */
  blob?(descriptor: Descriptor, sent: number, state: 'start' | 'progress' | 'exists' | 'mounted' | 'uploaded'): void;
  manifest?(descriptor: Descriptor, reference: string): void;
}

export interface PushedImage {
  digest: string;
  size: number;
  mediaType: string;
  blobs: { uploaded: number; mounted: number; existed: number };
}

/** Pushes `plan` to `repo:tag`; blobs go `concurrency` at a time. */
export async function pushImage<S>(
  registry: RegistryWriter<S>,
  repo: string,
  tag: string,
  plan: PushPlan<S>,
  opts: { concurrency?: number; mountFrom?: readonly string[]; events?: PushEvents } = {},
): Promise<PushedImage> {
  const blobs = plan.items.filter((i) => i.kind !== 'index' && i.kind !== 'manifest' && !i.foreign);
  const counts = { uploaded: 0, mounted: 0, existed: 0 };
  const events = opts.events ?? {};
  // once a blob fails no further one starts, and those under way are waited for: the caller
  // disposes of the sources when this rejects, so none may still be reading them
  await mapBounded(blobs, opts.concurrency ?? 3, async (item) => {
    const source = item.source;
    if (!source) throw new DctError('PUSH_SOURCE_MISSING', `no content for blob ${item.descriptor.digest}`);
    const d = item.descriptor;
    events.blob?.(d, 0, 'start');
    const result = await registry.ensureBlob(repo, d, source, {
      ...(opts.mountFrom ? { mountFrom: opts.mountFrom } : {}),
      onProgress: (sent) => events.blob?.(d, sent, 'progress'),
    });
    if (result === 'uploaded') counts.uploaded++;
    else if (result === 'mounted') counts.mounted++;
    else counts.existed++;
    events.blob?.(d, d.size, result);
  });

  for (const item of plan.items) {
    if (item.kind !== 'index' && item.kind !== 'manifest') continue;
    if (item.descriptor.digest === plan.root.digest) continue;
    if (!item.bytes) throw new DctError('PUSH_SOURCE_MISSING', `no bytes for manifest ${item.descriptor.digest}`);
    events.manifest?.(item.descriptor, item.descriptor.digest);
    await putChecked(registry, repo, item.descriptor.digest, item.bytes, item.descriptor);
  }
  events.manifest?.(plan.root, tag);
  await putChecked(registry, repo, tag, plan.root.bytes, plan.root);
  return { digest: plan.root.digest, size: plan.root.size, mediaType: plan.root.mediaType, blobs: counts };
}

async function putChecked<S>(registry: RegistryWriter<S>, repo: string, reference: string, bytes: Buffer, d: Descriptor): Promise<void> {
  const { digest } = await registry.putManifest(repo, reference, bytes, d.mediaType);
  if (digest !== d.digest) {
    throw new DctError(
      'DIGEST_MISMATCH',
      `the registry stored ${repo}:${reference} as ${digest}, not as the pushed ${d.digest}: it changed the manifest`,
    );
  }
}
