/** Where trust data lives by default: docker's `$DOCKER_CONFIG/trust` (else `~/.docker/trust`). */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultTrustDir(env: Record<string, string | undefined> = process.env): string {
  return join(env['DOCKER_CONFIG'] || join(homedir(), '.docker'), 'trust');
}
