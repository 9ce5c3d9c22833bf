/** `dct cosign ARGS…` in process, with its output captured (COSIGN_PASSWORD `secret`, no docker config). */
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { runCosign } from '../../../../src/cli/commands/cosign/index.js';

export async function cosign(
  args: string[],
  env: Record<string, string | undefined> = {},
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCosign(args, {
    io: { out: (s) => (out += s), err: (s) => (err += s) },
    env: { COSIGN_PASSWORD: 'secret', HOME: tmpdir(), DOCKER_CONFIG: join(tmpdir(), 'dct-cosign-no-docker-config'), ...env },
    now: () => new Date('2026-12-07T05:00:00Z'),
    ...(stdin !== undefined ? { stdin: Readable.from([Buffer.from(stdin)]) } : {}),
  });
  return { code, out, err };
}
