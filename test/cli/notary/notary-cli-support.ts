/**
 * Shared by the `dct notary` CLI tests (test/cli/notary/notary-cli-*.test.ts):
 * hex SHA-256 of a text or bytes, and an assertion that a command exited 0
 * (showing its output when it did not).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type Result } from './helpers.js';

export const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
export const ok = (r: Pick<Result, 'code' | 'out' | 'err'>, what = '') => assert.equal(r.code, 0, `${what}\n${r.out}${r.err}`);
