/**
 * Where the images of a Kubernetes object are: the pod spec of a Pod, of every workload's pod
 * template (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, PodTemplate)
 * and of a CronJob's job template; in it, containers, init containers and ephemeral containers.
 * Each image comes with the JSON pointer (RFC 6901) of its `image` field, which a JSON patch replaces;
 * the pod spec's `imagePullSecrets` and service account come along (the registry credentials to check with).
 */
import { DctError } from '../../core/errors.js';
import type { GroupVersionKind } from './admission-review.js';

export type ContainerField = 'containers' | 'initContainers' | 'ephemeralContainers';
export const CONTAINER_FIELDS: readonly ContainerField[] = ['containers', 'initContainers', 'ephemeralContainers'];

export interface ImageOccurrence {
  /** the image as written in the object */
  image: string;
  /** JSON pointer of the `image` field: `/spec/template/spec/containers/0/image` */
  pointer: string;
  /** the container's name */
  container: string;
  field: ContainerField;
}

export interface WorkloadImages {
  /** a Pod itself (not a template of one) */
  isPod: boolean;
  /** the pointer of the pod spec */
  podSpec: string;
  images: ImageOccurrence[];
  /** the pod spec's `imagePullSecrets` names, in order */
  pullSecrets: string[];
  /** the pod spec's `serviceAccountName` (absent: the namespace's `default`) */
  serviceAccount?: string;
}

/** `group/Kind` → the path of the pod spec in the object. */
const POD_SPEC_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ['/Pod', ['spec']],
  ['/PodTemplate', ['template', 'spec']],
  ['/ReplicationController', ['spec', 'template', 'spec']],
  ['apps/Deployment', ['spec', 'template', 'spec']],
  ['apps/StatefulSet', ['spec', 'template', 'spec']],
  ['apps/DaemonSet', ['spec', 'template', 'spec']],
  ['apps/ReplicaSet', ['spec', 'template', 'spec']],
  ['batch/Job', ['spec', 'template', 'spec']],
  ['batch/CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
]);

/** The kinds whose images are checked, as `group/Kind` (`/Pod` for the core group). */
export const WORKLOAD_KINDS: readonly string[] = [...POD_SPEC_PATHS.keys()];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

const invalid = (kind: string, where: string, what: string): DctError =>
  new DctError('ADMISSION_OBJECT_INVALID', `the ${kind} is malformed: ${where} ${what}`);

/**
 * The images of `object` of this kind, or undefined when the kind carries no pod spec that dct
 * checks. A pod spec that is missing or not shaped like one is refused (`ADMISSION_OBJECT_INVALID`);
 * a container without an image (allowed in templates a controller fills in) has nothing to check.
 */
export function workloadImages(kind: GroupVersionKind, object: Record<string, unknown>): WorkloadImages | undefined {
  const path = POD_SPEC_PATHS.get(`${kind.group}/${kind.kind}`);
  if (!path) return undefined;
  let node: unknown = object;
  for (const [i, segment] of path.entries()) {
    if (!isRecord(node)) throw invalid(kind.kind, `/${path.slice(0, i).join('/')}`, 'is not an object');
    node = node[segment];
  }
  const podSpec = `/${path.join('/')}`;
  if (!isRecord(node)) throw invalid(kind.kind, podSpec, 'is missing or not an object');
  const images: ImageOccurrence[] = [];
  for (const field of CONTAINER_FIELDS) {
    const list = node[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw invalid(kind.kind, `${podSpec}/${field}`, 'is not a list');
    list.forEach((container: unknown, index) => {
      const at = `${podSpec}/${field}/${index}`;
      if (!isRecord(container)) throw invalid(kind.kind, at, 'is not an object');
      const image = container.image;
      if (image === undefined || image === null || image === '') return;
      if (typeof image !== 'string') throw invalid(kind.kind, `${at}/image`, 'is not a string');
      const name = typeof container.name === 'string' ? container.name : `#${index}`;
      images.push({ image, pointer: `${at}/image`, container: name, field });
    });
  }
  const pullSecrets: string[] = [];
  const secrets = node.imagePullSecrets;
  if (secrets !== undefined && secrets !== null) {
    if (!Array.isArray(secrets)) throw invalid(kind.kind, `${podSpec}/imagePullSecrets`, 'is not a list');
    for (const s of secrets)
      if (isRecord(s) && typeof s.name === 'string' && s.name !== '' && !pullSecrets.includes(s.name)) pullSecrets.push(s.name);
  }
  const account = node.serviceAccountName;
  return {
    isPod: kind.group === '' && kind.kind === 'Pod',
    podSpec,
    images,
    pullSecrets,
    ...(typeof account === 'string' && account !== '' ? { serviceAccount: account } : {}),
  };
}

/** The labels of an object (`metadata.labels`), only the string ones. */
export function objectLabels(object: Record<string, unknown> | null): Record<string, string> {
  const metadata = object?.metadata;
  const labels = isRecord(metadata) ? metadata.labels : undefined;
  const out: Record<string, string> = {};
  if (isRecord(labels)) for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}
