/**
 * Shared by the auth tests of `dct server` (test/server/auth-*.test.ts): a
 * silent logger, htpasswd lines as `htpasswd -B` writes them, base64 and JWT
 * payload decoding, EC signing keys with their libtrust key IDs, and one HTTP(S)
 * request with its status, headers and body.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import bcrypt from 'bcryptjs';
import { pino } from 'pino';
import { libtrustKeyId } from '../../src/server/auth/jwt.js';

export const quiet = pino({ level: 'silent' });
/** bcrypt as `htpasswd -B` writes it ($2y$), cost 4 to keep tests fast */
export const bcryptLine = (user: string, password: string, cost = 4) =>
  `${user}:${bcrypt.hashSync(password, cost).replace(/^\$2b\$/, '$2y$')}`;
export const b64 = (text: string) => Buffer.from(text).toString('base64');
export const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;

export function ecKey(curve = 'prime256v1'): { privateKey: KeyObject; publicKey: KeyObject; kid: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: curve });
  return { ...pair, kid: libtrustKeyId(pair.publicKey) };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; ca?: string; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.ca ? { ca: readFileSync(opts.ca) } : {}), agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
