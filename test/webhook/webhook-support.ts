/**
 * For the webhook tests: self-signed certificates made by the real openssl, an HTTPS client that
 * trusts them, a policy-file test double (JSON: images to deny, images to warn about; a file that
 * does not parse fails to load, keeping the policy in force), and a pino logger into an array.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { pino, type Logger } from 'pino';
import type { PolicyHandle } from '../../src/webhook/start-webhook.js';
import { decisionFor, DoubleDecider } from '../app/admission/admission-doubles.js';

/** A self-signed certificate for localhost and 127.0.0.1 (openssl), written as `<name>.crt` and `<name>.key` in `dir`. */
export function selfSignedCert(dir: string, name: string): { certFile: string; keyFile: string; cert: Buffer; fingerprint: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(certFile);
  return { certFile, keyFile, cert, fingerprint: new X509Certificate(cert).fingerprint256 };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** the fingerprint of the certificate the server presented */
  peer: string;
}

/** One request on a new connection, trusting `ca`. */
export function httpsRequest(
  url: string,
  opts: { method?: string; body?: string | Buffer; headers?: Record<string, string>; ca: Buffer | Buffer[] },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const peer = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peer }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const postJson = (url: string, body: string | Buffer, ca: Buffer | Buffer[]): Promise<HttpsAnswer> =>
  httpsRequest(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json' }, ca });

interface PolicyDouble {
  deny?: string[];
  warn?: string[];
}

function deciderFrom(file: string): DoubleDecider {
  const policy = JSON.parse(readFileSync(file, 'utf8')) as PolicyDouble; // throws on a broken file
  return new DoubleDecider({
    decide: (image) =>
      policy.deny?.includes(image)
        ? decisionFor(image, { verdict: 'deny', reasons: [`${image} is denied by the test policy`] })
        : policy.warn?.includes(image)
          ? decisionFor(image, {
              mode: 'warn',
              warnings: ['unsigned (warn)'],
              requirements: { requirement: 'x', satisfied: false, satisfiedBy: [] },
            })
          : decisionFor(image),
  });
}

/** The policy-decider test double: `{decider, reload}` over a JSON file, as `policyDecider(file, env)` gives them. */
export async function loadPolicyDouble(file: string): Promise<PolicyHandle & { current(): DoubleDecider }> {
  let current = deciderFrom(file);
  return {
    decider: { decide: (image, o) => current.decide(image, o) },
    reload: async () => {
      current = deciderFrom(file);
    },
    current: () => current,
  };
}

/** A pino logger whose JSON lines land in `lines`. */
export function capturedLog(): { log: Logger; lines: () => { level: number; msg: string; [k: string]: unknown }[] } {
  const raw: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void raw.push(s) });
  return { log, lines: () => raw.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

/** Polls `check` until it returns true (or fails after `ms`). */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 8000, what = 'the condition'): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
