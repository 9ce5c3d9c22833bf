/**
 * `dct docker build` (also `image build`, `builder build`, `buildx build`): the images the
 * Dockerfile reads — every `FROM`, `COPY --from=IMAGE` and `RUN --mount=…,from=IMAGE` (stage
 * names, indexes and `scratch` left alone) — pinned to `name@sha256:…` by the pinner (DCT, or
 * the trust policy) in a temporary copy passed with `--file`; the context is unchanged. Global
 * ARGs and `--build-arg` values are expanded to resolve `FROM ${BASE}`; a variable only the
 * builder knows, a remote context or an archive on stdin is refused (nothing could be pinned).
 */
import { copyFile, lstat, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { expandArgs, parseDockerfile } from '../../../app/images/dockerfile-references.js';
import { SKIP_TEXT, type FoundReference } from '../../../app/images/found-reference.js';
import { applyReplacements, type Replacement } from '../../../app/images/pin-files.js';
import { parseImageReference, type ImageReference } from '../../../core/image-reference.js';
import { CliFailure } from '../../cli-failure.js';
import { goFileError } from '../../docker-trust/go-text.js';
import { resolutionFailure } from '../../docker-trust/trust-resolution.js';
import { lastFlag, type ParsedCommand } from './docker-args.js';
import { trustedForm, type ImagePinner } from './docker-pinning.js';
import type { DockerIo, DockerPlan } from './docker-plan.js';

/** How the instruction names the image, in messages. */
const WORD: Record<FoundReference['kind'], string> = {
  from: 'FROM ',
  'copy-from': 'COPY --from=',
  'mount-from': 'RUN --mount=from=',
  image: 'image: ',
};

const REMOTE_CONTEXT = /^(https?:\/\/|git:\/\/|git@|github\.com\/)/;

/** A stdin that is an archive (tar, gzip, bzip2, xz, zstd) rather than a Dockerfile. */
function isArchive(b: Buffer): boolean {
  if (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar') return true;
  const magic = b.subarray(0, 6).toString('hex');
  return magic.startsWith('1f8b') || magic.startsWith('425a68') || magic.startsWith('fd377a585a00') || magic.startsWith('28b52ffd');
}

export async function planBuild(
  argv: readonly string[],
  p: ParsedCommand,
  pinner: ImagePinner,
  io: DockerIo,
  dryRun: boolean,
): Promise<DockerPlan> {
  const at = p.positionals[0];
  if (at === undefined) return { commands: [[...argv]], before: [{}], notes: [], stdin: true };
  const context = argv[at]!;
  const fileFlag = lastFlag(p.flags, 'file');
  const file = typeof fileFlag === 'string' ? fileFlag : undefined;
  if (REMOTE_CONTEXT.test(context)) {
    throw new CliFailure(
      `dct docker: cannot pin the FROM lines of a remote build context (${context}): build a local copy, or pass --disable-content-trust to build it unchecked`,
      { exitCode: 1 },
    );
  }
  let text: string;
  let label: string;
  let source: string | undefined;
  let stdin = true;
  let emptyContext = false;
  if (context === '-' || file === '-') {
    const bytes = await io.readStdin();
    stdin = false;
    if (isArchive(bytes)) {
      throw new CliFailure('dct docker: cannot pin the FROM lines of a build context read from stdin as an archive: build from a folder', {
        exitCode: 1,
      });
    }
    text = bytes.toString('latin1');
    label = 'Dockerfile (stdin)';
    emptyContext = context === '-';
  } else {
    const dir = resolve(io.cwd, context);
    if (file !== undefined) source = resolve(io.cwd, file);
    else {
      source = join(dir, 'Dockerfile');
      if (!(await lstat(source).catch(() => undefined)) && (await lstat(join(dir, 'dockerfile')).catch(() => undefined)))
        source = join(dir, 'dockerfile');
    }
    try {
      text = (await readFile(source)).toString('latin1');
    } catch (err) {
      throw new CliFailure(goFileError('open', source, err), { exitCode: 1 });
    }
    label = file ?? (isAbsolute(context) ? source : join(context, source === join(dir, 'dockerfile') ? 'dockerfile' : 'Dockerfile'));
  }

  const parsed = parseDockerfile(text);
  const args = new Map<string, string | undefined>();
  for (const a of parsed.globalArgs) args.set(a.name, a.value);
  for (const f of p.flags) {
    if (f.name !== 'build-arg' || typeof f.value !== 'string') continue;
    const eq = f.value.indexOf('=');
    const name = eq < 0 ? f.value : f.value.slice(0, eq);
    if (!args.has(name)) continue; // only declared ARGs reach FROM
    if (eq >= 0) args.set(name, f.value.slice(eq + 1));
    else if (io.env[name] !== undefined) args.set(name, io.env[name]);
  }
  const stages = new Set(parsed.stages);
  const replacements: Replacement[] = [];
  const notes: string[] = [];
  const failures: string[] = [];
  await Promise.all(
    parsed.references.map(async (r) => {
      if (r.skip === 'scratch' || r.skip === 'stage') return;
      const where = `${label}:${r.line}`;
      const word = WORD[r.kind];
      if (r.skip && r.skip !== 'variable') {
        failures.push(`${where}: cannot pin ${word}${r.text}: it ${SKIP_TEXT[r.skip]}`);
        return;
      }
      let image = r.text;
      if (r.skip === 'variable') {
        // only FROM sees the global ARGs alone; elsewhere a stage's own ARGs may change them
        const expanded = r.kind === 'from' ? expandArgs(r.text, args, parsed.escape) : undefined;
        if (expanded === undefined) {
          failures.push(`${where}: cannot pin ${word}${r.text}: it uses a variable only the builder knows`);
          return;
        }
        image = expanded;
        if (image.toLowerCase() === 'scratch' || stages.has(image.toLowerCase())) return;
      }
      let ref: ImageReference;
      try {
        ref = parseImageReference(image);
      } catch (err) {
        failures.push(`${where}: ${word}${image}: ${(err as Error).message}`);
        return;
      }
      try {
        const pinned = await pinner.pin(ref, image);
        if (!pinned || ref.digest !== undefined) return;
        const text = trustedForm(ref, pinned.digest);
        replacements.push({ start: r.start, end: r.end, text });
        notes.push(`${where}: ${word}${r.text} -> ${text}\n`);
      } catch (err) {
        const f = resolutionFailure(err);
        failures.push(`${where}: ${word}${image}: ${f.message}${f.code === 'POLICY_DENIED' ? ` [${f.code}]` : ''}`);
      }
    }),
  );
  if (failures.length > 0) throw new CliFailure(failures.sort(byLine).join('\n'), { exitCode: 1 });
  notes.sort(byLine);

  const pinnedText = applyReplacements(text, replacements);
  let dir = join(tmpdir(), 'dct-build-XXXXXX');
  if (!dryRun) {
    dir = await mkdtemp(join(tmpdir(), 'dct-build-'));
    await writeFile(join(dir, 'Dockerfile'), Buffer.from(pinnedText, 'latin1'));
    // a Dockerfile-specific ignore file (<Dockerfile>.dockerignore) goes along
    if (source) await copyFile(`${source}.dockerignore`, join(dir, 'Dockerfile.dockerignore')).catch(() => undefined);
    if (emptyContext) await mkdir(join(dir, 'context'));
  }
  let out = [...argv];
  if (emptyContext) out[at] = join(dir, 'context');
  const fileArg = `--file=${join(dir, 'Dockerfile')}`;
  // the last --file wins; after a `--` it would be a positional
  out = p.dashDash !== undefined ? [...out.slice(0, p.dashDash), fileArg, ...out.slice(p.dashDash)] : [...out, fileArg];
  return { commands: [out], before: [{}], notes, stdin, ...(dryRun ? {} : { cleanup: dir }) };
}

function byLine(a: string, b: string): number {
  const n = (s: string) => Number(/:(\d+): /.exec(s)?.[1] ?? 0);
  return n(a) - n(b);
}
