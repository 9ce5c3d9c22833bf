/** Snapshot and timestamp roles (notary `tuf/data/snapshot.go`, `timestamp.go`). */
import type { JsonObject } from '../canonical-json.js';
import type { GoTime } from '../go-time.js';
import { commonFromJSON, type SignedCommon } from './common.js';
import { assertValidHashStructure, fileMetaFromJSON, fileMetaToJSON, type FileMeta } from './file-meta.js';
import { asObject, invalid, setOwn, unrecognized, type JsonRecord } from './json-reader.js';

const KNOWN = ['_type', 'version', 'expires', 'meta'] as const;

function metaFromJSON(v: unknown, where: string): Record<string, FileMeta> {
  const meta: Record<string, FileMeta> = {};
  for (const [name, fm] of Object.entries(asObject(v, where))) setOwn(meta, name, fileMetaFromJSON(fm, `${where}.${name}`));
  return meta;
}

function metaToJSON(meta: Record<string, FileMeta>): JsonObject {
  const out: JsonObject = {};
  for (const [name, fm] of Object.entries(meta)) setOwn(out, name, fileMetaToJSON(fm));
  return out;
}

export class Snapshot implements SignedCommon {
  readonly kind = 'snapshot';

  constructor(
    public version: number,
    public expires: GoTime,
    /** file meta of root, targets and every delegated role file */
    public meta: Record<string, FileMeta>,
    readonly unrecognized: JsonRecord = {},
  ) {}

  static fromJSON(v: unknown): Snapshot {
    const { version, expires, obj } = commonFromJSON(v, 'snapshot', 'snapshot');
    const s = new Snapshot(version, expires, metaFromJSON(obj['meta'], 'snapshot.meta'), unrecognized(obj, KNOWN));
    for (const role of ['root', 'targets']) {
      const fm = s.meta[role];
      if (!fm) throw invalid('snapshot', `missing ${role} metadata`);
      assertValidHashStructure(fm, `snapshot.meta.${role}`);
    }
    return s;
  }

  toJSON(): JsonObject {
    return { _type: 'Snapshot', expires: this.expires.format(), meta: metaToJSON(this.meta), version: this.version };
  }
}

export class Timestamp implements SignedCommon {
  readonly kind = 'timestamp';

  constructor(
    public version: number,
    public expires: GoTime,
    public meta: Record<string, FileMeta>,
    readonly unrecognized: JsonRecord = {},
  ) {}

  static fromJSON(v: unknown): Timestamp {
    const { version, expires, obj } = commonFromJSON(v, 'timestamp', 'timestamp');
    const t = new Timestamp(version, expires, metaFromJSON(obj['meta'], 'timestamp.meta'), unrecognized(obj, KNOWN));
    const fm = t.meta['snapshot'];
    if (!fm) throw invalid('timestamp', 'missing snapshot metadata');
    assertValidHashStructure(fm, 'timestamp.meta.snapshot');
    return t;
  }

  get snapshotMeta(): FileMeta {
    return this.meta['snapshot'] as FileMeta;
  }

  toJSON(): JsonObject {
    return { _type: 'Timestamp', expires: this.expires.format(), meta: metaToJSON(this.meta), version: this.version };
  }
}
