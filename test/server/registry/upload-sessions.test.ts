/** UploadSessions counts a client's open sessions as the rate limits count clients: IPv4 address, IPv6 /64. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { FsBlobStore, UploadInfo } from '../../../src/adapters/blob-store/fs-blob-store.js';
import { UploadSessions } from '../../../src/server/registry/upload-sessions.js';

let next = 0;
const start = async () => ({ id: `upload-${next++}` }) as UploadInfo;
// open() never touches the blob store (only the expiry sweep does)
const sessions = () =>
  new UploadSessions({} as FsBlobStore, { maxPerRepository: 100, maxPerClient: 2, expiryMs: 60_000 }, pino({ level: 'silent' }));

describe('UploadSessions per client', () => {
  it('one IPv6 /64 cannot open more sessions by changing its interface address', async () => {
    const s = sessions();
    await s.open('a', '2001:db8:1:2::10', start);
    await s.open('a', '2001:db8:1:2:aaaa::1', start);
    await assert.rejects(
      s.open('b', '2001:db8:1:2:ffff:ffff:ffff:ffff', start),
      (err: Error & { code?: string }) => err.code === 'TOOMANYREQUESTS',
    );
    await s.open('b', '2001:db8:1:3::10', start); // another /64 is another client
  });

  it('IPv4 clients count per address', async () => {
    const s = sessions();
    await s.open('a', '192.0.2.1', start);
    await s.open('a', '192.0.2.1', start);
    await assert.rejects(s.open('a', '192.0.2.1', start));
    await s.open('a', '192.0.2.2', start);
  });
});
