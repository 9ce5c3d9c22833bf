/**
 * Verifying signatures, two ways, each against its peer measured in the same run on this
 * machine (ratios, no timed assertions):
 *
 * (a) whole process — discovery plus crypto: the dct command line (a parameter, default
 *     `dct cosign verify --key cosign.pub … IMAGE`) against `skopeo inspect --raw
 *     --tls-verify=false docker://IMAGE` (Debian skopeo: one manifest read, the least any
 *     tool that looks at the image pays), on ONE docker-registry 2.8 started alone on a free
 *     loopback port, holding a small image signed the cosign way (legacy `sha256-<hex>.sig`
 *     tag: simple-signing payload, ECDSA P-256 signature in the layer's annotation). Rounds
 *     alternate which tool goes first; ratio = median over rounds of dct's wall time / skopeo's.
 *     Goal ≤ 1.5×. Before timing, the dct command must succeed on the signed image; if it
 *     also succeeds on an unsigned one the bench says it does not verify.
 * (b) in process — 1,000 cosign-style signatures (simple-signing payloads for 1,000 digests,
 *     ECDSA P-256) through the verification path (base64 of the signature, the signature
 *     over the payload, the payload parsed and its type and digest checked) against the raw
 *     `crypto.verify` loop over the same, already decoded, signatures (the crypto limit).
 *     Rounds alternate; ratio = median path time / median limit time. Goal ≤ 1.3×.
 *
 * Usage: npm run bench:signatures -- [--json] [--rounds N] [--signatures N] [--skip-process]
 *        [--dct-command 'TEMPLATE'] where TEMPLATE may use {dct} (node + the built CLI: built
 *        only when used), {key} (cosign.pub), {image} (registry/repo:tag) and {node}.
 */
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { KeyedBundleVerifier } from '../src/adapters/cosign/keyed-bundle-verifier.js';
import { RegistryClient } from '../src/adapters/registry/registry-client.js';
import { checkLegacySignature } from '../src/app/cosign/check-signature.js';
import { SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload } from '../src/core/cosign/simple-signing.js';
import { buildDct, ensureDebianTools, freePort, log, onPath, type DctBuild } from './server/processes.js';
import { median, parseBenchFlags } from './shared/command-line.js';

export const DEFAULT_DCT_COMMAND = '{dct} cosign verify --key {key} --insecure-ignore-tlog=true --allow-http-registry {image}';
const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface Options {
  json: boolean;
  rounds: number;
  signatures: number;
  skipProcess: boolean;
  dctCommand: string;
}

const USAGE =
  "usage: npm run bench:signatures -- [--json] [--rounds N (15)] [--signatures N (1000)] [--skip-process] [--dct-command 'TEMPLATE']";

export function parseArgs(argv: readonly string[]): Options {
  const flags = parseBenchFlags(argv, { count: ['rounds', 'signatures'], text: ['dct-command'], switch: ['json', 'skip-process'] }, USAGE);
  return {
    json: flags.switches.has('json'),
    rounds: flags.counts.get('rounds') ?? 15,
    signatures: flags.counts.get('signatures') ?? 1000,
    skipProcess: flags.switches.has('skip-process'),
    dctCommand: flags.texts.get('dct-command') ?? DEFAULT_DCT_COMMAND,
  };
}

/** The command line of a template: whitespace-separated words, placeholders replaced word by word. */
export function expandCommand(template: string, values: { dct?: readonly string[]; key: string; image: string; node: string }): string[] {
  const words: string[] = [];
  for (const word of template.trim().split(/\s+/)) {
    if (word === '{dct}') {
      if (!values.dct) throw new Error('{dct} needs the built CLI');
      words.push(...values.dct);
    } else words.push(word.replaceAll('{key}', values.key).replaceAll('{image}', values.image).replaceAll('{node}', values.node));
  }
  return words;
}

// ---------------------------------------------------------------------------
// cosign-style signatures

export interface CosignStyleSignature {
  payload: Buffer;
  /** base64 of the DER ECDSA signature, as in the `dev.cosignproject.cosign/signature` annotation */
  signature: string;
  digest: string;
}

/**
 * The verification path measured in (b): cosign's own check of one legacy signature
 * (`checkLegacySignature`: the signature with the key, then the simple-signing claims for the
 * digest), as `dct cosign verify --key … --insecure-ignore-tlog` and `dct verify` run it.
 * Rejects when the signature does not verify or the payload is not for `digest`.
 */
export async function verifyCosignStyle(sig: CosignStyleSignature, key: KeyObject): Promise<void> {
  const layer = {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    digest: `sha256:${createHash('sha256').update(sig.payload).digest('hex')}`,
    size: sig.payload.length,
  };
  await checkLegacySignature({ layer, signature: sig.signature }, sig.payload, sig.digest, {
    policy: { kind: 'key', publicKey: key },
    bundleVerifier: KEYED,
    ignoreTlog: true,
  });
}

const KEYED = new KeyedBundleVerifier();

export function makeSignatures(n: number, privateKey: KeyObject): CosignStyleSignature[] {
  return Array.from({ length: n }, (_, i) => {
    const digest = `sha256:${createHash('sha256').update(`image ${i}`).digest('hex')}`;
    const payload = simpleSigningPayload('registry.example/bench/app', digest);
    return { payload, signature: sign('sha256', payload, privateKey).toString('base64'), digest };
  });
}

export async function benchInProcess(opts: {
  signatures: number;
  rounds: number;
}): Promise<{ pathMs: number; limitMs: number; ratio: number }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sigs = makeSignatures(opts.signatures, privateKey);
  const decoded = sigs.map((s) => Buffer.from(s.signature, 'base64'));
  const path = async () => {
    for (const s of sigs) await verifyCosignStyle(s, publicKey);
  };
  const limit = () => {
    for (let i = 0; i < sigs.length; i++) {
      if (!verify('sha256', (sigs[i] as CosignStyleSignature).payload, publicKey, decoded[i] as Buffer)) throw new Error('limit: bad');
    }
  };
  await path();
  limit();
  const pathTimes: number[] = [];
  const limitTimes: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    for (const [f, into] of r % 2 === 0
      ? ([
          [path, pathTimes],
          [limit, limitTimes],
        ] as const)
      : ([
          [limit, limitTimes],
          [path, pathTimes],
        ] as const)) {
      const t0 = performance.now();
      await f();
      into.push(performance.now() - t0);
    }
  }
  const pathMs = median(pathTimes);
  const limitMs = median(limitTimes);
  return { pathMs, limitMs, ratio: pathMs / limitMs };
}

// ---------------------------------------------------------------------------
// whole process

async function startRegistry(dir: string): Promise<{ host: string; stop(): void }> {
  const port = await freePort();
  const config = join(dir, 'registry.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200) return { host, stop: () => child.kill('SIGTERM') };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('docker-registry did not start');
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const descriptor = (mediaType: string, b: Buffer) => ({ mediaType, digest: sha256(b), size: b.length });

/** Pushes a small image under `tag`; with a key, its cosign legacy signature too. Returns the image's digest. */
async function pushImage(client: RegistryClient, repo: string, tag: string, seed: string, key?: KeyObject): Promise<string> {
  const layer = Buffer.from(`a layer of ${seed} `.repeat(200));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  for (const [t, b] of [
    ['application/vnd.oci.image.config.v1+json', config],
    ['application/vnd.oci.image.layer.v1.tar', layer],
  ] as const)
    await client.uploadBlob(repo, descriptor(t, b), b);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor('application/vnd.oci.image.config.v1+json', config),
      layers: [descriptor('application/vnd.oci.image.layer.v1.tar', layer)],
    }),
  );
  await client.putManifest(repo, tag, manifest, OCI_MANIFEST);
  const digest = sha256(manifest);
  if (key) {
    const payload = simpleSigningPayload(`${client.host}/${repo}`, digest);
    const sigConfig = Buffer.from(
      JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [sha256(payload)] }, config: {} }),
    );
    await client.uploadBlob(repo, descriptor('application/vnd.oci.image.config.v1+json', sigConfig), sigConfig);
    await client.uploadBlob(repo, descriptor(SIMPLE_SIGNING, payload), payload);
    const sigManifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor('application/vnd.oci.image.config.v1+json', sigConfig),
        layers: [
          {
            ...descriptor(SIMPLE_SIGNING, payload),
            annotations: { [SIGNATURE_ANNOTATION]: sign('sha256', payload, key).toString('base64') },
          },
        ],
      }),
    );
    await client.putManifest(repo, `sha256-${digest.slice('sha256:'.length)}.sig`, sigManifest, OCI_MANIFEST);
  }
  return digest;
}

async function timed(argv: readonly string[]): Promise<{ ms: number; code: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code: code ?? 1, stderr }));
  });
}

interface ProcessResult {
  dctMs: number;
  skopeoMs: number;
  /** `node -e 0`: what any node program pays to start, measured in the same rounds */
  nodeMs: number;
  ratio: number;
  nodeRatio: number;
  verifies: boolean;
  command: string[];
}

async function benchProcess(opts: Options, dir: string): Promise<ProcessResult | { unavailable: string }> {
  if (!onPath('docker-registry')) return { unavailable: 'docker-registry is not installed' };
  await ensureDebianTools({ skopeo: 'skopeo' });
  let build: DctBuild | undefined;
  const registry = await startRegistry(dir);
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyFile = join(dir, 'cosign.pub');
    writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const client = new RegistryClient(registry.host);
    await pushImage(client, 'bench/signed', 'v1', 'signed', privateKey);
    await pushImage(client, 'bench/unsigned', 'v1', 'unsigned');
    const image = `${registry.host}/bench/signed:v1`;
    if (opts.dctCommand.includes('{dct}')) {
      log('building dct…');
      build = await buildDct();
    }
    const dctArgv = (img: string) =>
      expandCommand(opts.dctCommand, {
        ...(build ? { dct: [process.execPath, build.bin] } : {}),
        key: keyFile,
        image: img,
        node: process.execPath,
      });
    const skopeoArgv = ['skopeo', 'inspect', '--raw', '--tls-verify=false', `docker://${image}`];
    const first = await timed(dctArgv(image));
    if (first.code !== 0)
      return { unavailable: `the dct command fails (${dctArgv(image).join(' ')}): ${first.stderr.trim().split('\n')[0] ?? ''}` };
    const verifies = (await timed(dctArgv(`${registry.host}/bench/unsigned:v1`))).code !== 0;
    if ((await timed(skopeoArgv)).code !== 0) throw new Error('skopeo inspect fails');
    const argvOf = { dct: dctArgv(image), skopeo: skopeoArgv, node: [process.execPath, '-e', '0'] };
    const times: Record<keyof typeof argvOf, number[]> = { dct: [], skopeo: [], node: [] };
    const ratios: number[] = [];
    const nodeRatios: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? (['dct', 'skopeo', 'node'] as const) : (['node', 'skopeo', 'dct'] as const);
      const got = { dct: 0, skopeo: 0, node: 0 };
      for (const tool of order) {
        const res = await timed(argvOf[tool]);
        if (res.code !== 0) throw new Error(`${tool} failed in round ${r + 1}: ${res.stderr}`);
        got[tool] = res.ms;
        times[tool].push(res.ms);
      }
      ratios.push(got.dct / got.skopeo);
      nodeRatios.push(got.node / got.skopeo);
    }
    return {
      dctMs: median(times.dct),
      skopeoMs: median(times.skopeo),
      nodeMs: median(times.node),
      ratio: median(ratios),
      nodeRatio: median(nodeRatios),
      verifies,
      command: argvOf.dct,
    };
  } finally {
    registry.stop();
    build?.cleanup();
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'dct-bench-signatures-'));
  try {
    const processResult = opts.skipProcess ? { unavailable: 'skipped (--skip-process)' } : await benchProcess(opts, dir);
    const inProcess = await benchInProcess({ signatures: opts.signatures, rounds: opts.rounds });
    if (opts.json) {
      process.stdout.write(JSON.stringify({ options: opts, process: processResult, inProcess }, null, 2) + '\n');
      return;
    }
    const out: string[] = [];
    if ('unavailable' in processResult) out.push(`(a) whole process: not measured: ${processResult.unavailable}`);
    else {
      out.push(
        `(a) whole process, docker-registry 2.8 on loopback, ${opts.rounds} rounds, medians: dct ${processResult.dctMs.toFixed(1)} ms, ` +
          `skopeo inspect --raw ${processResult.skopeoMs.toFixed(1)} ms, ratio ${processResult.ratio.toFixed(2)}× (goal ≤ 1.50×)`,
        `    dct command: ${processResult.command.join(' ')}`,
        `    node's own start (node -e 0): ${processResult.nodeMs.toFixed(1)} ms, ${processResult.nodeRatio.toFixed(2)}× skopeo: the floor of any node CLI`,
      );
      if (!processResult.verifies)
        out.push('    WARNING: the dct command also succeeds on an unsigned image: it does not verify signatures');
      out.push(
        `RESULT signatures.process.vs-skopeo ratio=${processResult.ratio.toFixed(3)}`,
        `RESULT signatures.node-start.vs-skopeo ratio=${processResult.nodeRatio.toFixed(3)}`,
      );
    }
    out.push(
      `(b) in process, ${opts.signatures} ECDSA P-256 cosign-style signatures, ${opts.rounds} rounds, medians: verification path ` +
        `${inProcess.pathMs.toFixed(1)} ms, crypto.verify loop ${inProcess.limitMs.toFixed(1)} ms, ratio ${inProcess.ratio.toFixed(2)}× (goal ≤ 1.30×)`,
      `RESULT signatures.crypto.vs-limit ratio=${inProcess.ratio.toFixed(3)}`,
    );
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
