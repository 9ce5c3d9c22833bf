/**
 * `dct verify IMAGE… [--format text|table|json]`: is every image signed, as
 * docker's content trust would resolve it for a pull or run (spec §7.2, §7.10)?
 * Exit 0 only when all are — for CI.
 *
 * - `name[:tag]` (no tag = `latest`, as docker): the tag must be released
 *   (in `targets/releases` or `targets`); prints `name:tag@sha256:<hex>`.
 * - `name@sha256:…`: a released tag must point at the digest.
 * - `name:tag@sha256:…`: the digest must be the tag's signed digest.
 * Failures go to stderr with docker's messages (`Error: remote trust data does not
 * exist for <gun>: …`, `No valid trust data for <tag>`).
 */
import type { Command } from 'commander';
import { splitWritten } from '../../../app/images/pin-files.js';
import { DctError } from '../../../core/errors.js';
import { CliFailure } from '../../cli-failure.js';
import { tabwrite } from '../../table.js';
import { processIo, type TrustIo } from '../../docker-trust/io.js';
import { parseReference, type Resolved } from '../../../app/images/trust-resolver.js';
import { failureJson, resolutionFailure, trustResolver } from '../../docker-trust/trust-resolution.js';

export type VerifyFormat = 'text' | 'table' | 'json';

export interface VerifyRow {
  /** the argument as given */
  image: string;
  /** `name:tag@sha256:<hex>` (the name as given), or `name@sha256:<hex>` for a reference by digest */
  reference: string | null;
  signed: boolean;
  digest: string | null;
  size: number | null;
  /** the role that signs it: `targets/releases` or `targets` */
  role: string | null;
  /** for a reference by digest: the released tags that point at it */
  tags?: string[];
  error: { code: string; message: string; hint?: string } | null;
}

export function parseVerifyFormat(v: string): VerifyFormat {
  if (v === 'text' || v === 'table' || v === 'json') return v;
  throw new DctError('INVALID_ARGUMENT', `--format must be "text", "table" or "json", not ${JSON.stringify(v)}`);
}

function referenceOf(input: string, r: Resolved): string {
  const { name } = splitWritten(input);
  return r.tag !== undefined ? `${name}:${r.tag}@${r.digest}` : `${name}@${r.digest}`;
}

/** Verifies every image; returns the rows in argument order. */
export async function verifyImages(images: readonly string[], io: TrustIo): Promise<VerifyRow[]> {
  const resolver = trustResolver(io);
  try {
    return await Promise.all(
      images.map(async (image): Promise<VerifyRow> => {
        try {
          const r = await resolver.verify(parseReference(image));
          return {
            image,
            reference: referenceOf(image, r),
            signed: true,
            digest: r.digest,
            size: r.size,
            role: r.role,
            ...(r.tags ? { tags: r.tags } : {}),
            error: null,
          };
        } catch (err) {
          const f = resolutionFailure(err);
          return { image, reference: null, signed: false, digest: null, size: null, role: null, error: failureJson(f) };
        }
      }),
    );
  } finally {
    resolver.close();
  }
}

export async function runVerify(images: readonly string[], format: VerifyFormat, io: TrustIo): Promise<number> {
  const rows = await verifyImages(images, io);
  if (format === 'json') {
    io.out(JSON.stringify(rows, null, 2) + '\n');
  } else if (format === 'table') {
    const table = [['IMAGE', 'SIGNED', 'DIGEST', 'ROLE']];
    for (const r of rows) table.push([r.image, r.signed ? 'yes' : 'no', r.digest ?? '-', r.role ?? '-']);
    io.out(tabwrite(table, { padding: 3 }));
  } else {
    for (const r of rows) if (r.reference) io.out(`${r.reference}\n`);
  }
  if (format !== 'json') {
    for (const r of rows) {
      if (!r.error) continue;
      io.err(`${images.length > 1 ? `${r.image}: ` : ''}${r.error.message}\n`);
      if (io.hints && r.error.hint) io.err(`hint: ${r.error.hint}\n`);
    }
  }
  return rows.every((r) => r.signed) ? 0 : 1;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('check that every image is signed, as docker content trust resolves it (exit 0 only when all are; for CI)')
    .argument('<images...>', 'IMAGE[:TAG] or IMAGE@sha256:… (no tag means :latest, as docker)')
    .option('--format <format>', 'text (name:tag@sha256:… per image), table or json', 'text')
    .action(async (images: string[], opts: { format: string }) => {
      const code = await runVerify(images, parseVerifyFormat(opts.format), processIo());
      if (code !== 0) throw CliFailure.reported(code);
    });
}
