/**
 * The webhook's routes: `POST /validate` and `POST /mutate` (AdmissionReview JSON in and out),
 * `GET /healthz` (the process answers), `GET /readyz` (a policy is loaded), `GET /metrics`
 * (Prometheus). A request that is not an AdmissionReview gets 400 (413 when too large, 415 when
 * not JSON) with a JSON body `{"error": {"code", "message"}}` that says what is wrong.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AdmissionController, AdmissionEndpoint } from '../app/admission/admission-controller.js';
import { DctError, isDctError } from '../core/errors.js';
import type { WebhookMetrics } from './webhook-metrics.js';

export interface Readiness {
  ready(): boolean;
  /** why not, when not */
  reason(): string;
}

export interface HandlerContext {
  controller: AdmissionController;
  metrics: WebhookMetrics;
  readiness: Readiness;
  log: Logger;
  maxBodyBytes: number;
}

const REVIEW_PATHS: Readonly<Record<string, AdmissionEndpoint>> = { '/validate': 'validate', '/mutate': 'mutate' };

export function createWebhookHandler(ctx: HandlerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      ctx.log.error({ err, url: req.url }, 'admission webhook: unexpected error');
      if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'internal error (see the webhook log)' } });
      else res.destroy();
    });
  };
}

async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] as string;
  const endpoint = REVIEW_PATHS[path];
  if (endpoint) {
    if (req.method !== 'POST') return refuse(ctx, req, res, 405, 'METHOD_NOT_ALLOWED', `${path} takes POST (an AdmissionReview)`, 'POST');
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return refuse(
        ctx,
        req,
        res,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `send the AdmissionReview as Content-Type: application/json, not ${JSON.stringify(type ?? '')}`,
      );
    }
    const started = performance.now();
    try {
      const body = await readBody(req, ctx.maxBodyBytes);
      const answer = await ctx.controller.review(endpoint, body);
      ctx.metrics.reviewed(endpoint, answer.response.allowed, (performance.now() - started) / 1000);
      send(res, 200, answer);
    } catch (err) {
      if (isDctError(err, 'ADMISSION_BODY_TOO_LARGE')) return refuse(ctx, req, res, 413, err.code, err.message);
      if (isDctError(err, 'ADMISSION_REVIEW_INVALID')) return refuse(ctx, req, res, 400, err.code, err.message);
      throw err;
    }
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
      return refuse(ctx, req, res, 405, 'METHOD_NOT_ALLOWED', `${path} takes GET`, 'GET, HEAD');
    }
    return refuse(ctx, req, res, 404, 'NOT_FOUND', `no ${req.method} ${path}`);
  }
  switch (path) {
    case '/healthz':
      return sendText(res, 200, 'ok\n');
    case '/readyz':
      return ctx.readiness.ready() ? sendText(res, 200, 'ok\n') : sendText(res, 503, `not ready: ${ctx.readiness.reason()}\n`);
    case '/metrics': {
      const text = await ctx.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': ctx.metrics.registry.contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    default:
      return refuse(
        ctx,
        req,
        res,
        404,
        'NOT_FOUND',
        `no ${path}: the webhook serves POST /validate, POST /mutate, GET /healthz, /readyz and /metrics`,
      );
  }
}

/** The body, at most `max` bytes: more is refused as soon as it is known (Content-Length or the bytes so far). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = (): DctError => new DctError('ADMISSION_BODY_TOO_LARGE', `the AdmissionReview is larger than the limit of ${max} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

function refuse(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  allow?: string,
): void {
  ctx.metrics.refused(code);
  ctx.log.warn({ method: req.method, url: req.url, status, code }, message);
  if (allow) res.setHeader('Allow', allow);
  if (status === 413) res.setHeader('Connection', 'close');
  send(res, status, { error: { code, message } });
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
