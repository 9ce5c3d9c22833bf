/**
 * What `dct docker` runs for one docker command line (docker.ts plans it, docker-build.ts and
 * docker-push.ts plan their commands), and the terminal it runs with.
 */
import type { TrustIo } from '../../docker-trust/io.js';

/** The terminal `dct docker` runs with: the trust commands' streams, and stdin. */
export interface DockerIo extends TrustIo {
  /** all of stdin (for `docker build -` and `--file -`) */
  readStdin(): Promise<Buffer>;
}

/** What `dct docker` will run: command lines (each stops the run when it fails). */
export interface DockerPlan {
  commands: string[][];
  /** lines for stdout / stderr before each command (docker's trusted pull messages) */
  before: Array<{ out?: string; err?: string }>;
  /** stderr lines about the pinned Dockerfile (build) */
  notes: string[];
  /** temporary files to remove afterwards */
  cleanup?: string;
  /** false when dct consumed stdin */
  stdin: boolean;
  /** dct's own step once every command succeeded (push: signing), and its line for --dry-run */
  after?: { line: string; run: () => Promise<number> };
}
