/**
 * The dashboard's HTTP side (issue 15), under `/ui/` on the trust server's port:
 *
 *   /ui              → 308 to /ui/
 *   /ui/api/…        → the JSON API (app/dashboard/dashboard-api.ts, docs/dashboard-api.md);
 *                      read-only: anything but GET/HEAD is 405
 *   /ui/… (else)     → the web UI's files, from `assets` (404 without)
 *
 * With token auth every API route needs a valid bearer token (401 with the server's usual
 * challenge otherwise) but `/ui/api/session` without any Authorization header, which answers
 * who is (not) logged in and where to get a token; what the user sees is filtered by
 * DashboardAccess. The UI's own files are public (the page must load to ask for credentials).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DashboardSession, DecisionPage } from '../../app/dashboard/dashboard-api.js';
import { DctError } from '../../core/errors.js';
import { ApiError } from '../api-errors.js';
import { AuditApi } from '../audit-api.js';
import type { ServerAuth } from '../auth/server-auth.js';
import { errorResponse, jsonResponse, type PreparedResponse } from '../responses.js';
import { DashboardAccess } from './dashboard-access.js';
import { badQuery, checkDecisionParams, expiryParams, repositoryParams } from './dashboard-queries.js';
import type { DashboardViews } from '../../app/dashboard/dashboard-views.js';

/** The web UI's files (implemented by the UI: ui-assets.ts). `path` is the decoded request path, `/ui/…`. */
export interface DashboardAssets {
  serve(req: IncomingMessage, res: ServerResponse, path: string): void | Promise<void>;
}

export interface DashboardHttpOptions {
  views: DashboardViews;
  /** token auth; absent = open */
  auth?: ServerAuth;
  /** the token audience clients ask `/auth/token` for */
  service: string;
  audit?: AuditApi;
  assets?: DashboardAssets;
  log: Logger;
}

const API = '/ui/api/';
/** decisions of a page when the query names no `records` */
const DEFAULT_DECISIONS = 100;

export class DashboardHttp {
  constructor(private readonly opts: DashboardHttpOptions) {}

  /** Whether `path` is the dashboard's. */
  static owns(path: string): boolean {
    return path === '/ui' || path.startsWith('/ui/');
  }

  /** Answers a dashboard request; resolves to the status sent (0 for a stream or the UI's files). */
  async serve(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<number> {
    if (path === '/ui') {
      req.resume();
      return this.send(
        res,
        { status: 308, headers: { Location: '/ui/' + (rawQuery ? `?${rawQuery}` : ''), 'Content-Length': 0 }, body: Buffer.alloc(0) },
        req,
      );
    }
    if (!path.startsWith(API)) {
      if (!this.opts.assets) {
        req.resume();
        return this.send(res, errorResponse(notFound(path)), req);
      }
      await this.opts.assets.serve(req, res, path);
      return 0;
    }
    try {
      const method = req.method ?? 'GET';
      req.resume();
      if (method !== 'GET' && method !== 'HEAD') {
        const refused = jsonResponse(
          JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'The dashboard is read-only: only GET and HEAD.' }] }) + '\n',
          undefined,
          405,
        );
        refused.headers['Allow'] = 'GET, HEAD';
        return this.send(res, refused, req);
      }
      return await this.api(req, res, path.slice(API.length), new URLSearchParams(rawQuery));
    } catch (err) {
      const apiError =
        err instanceof ApiError ? err : err instanceof DctError && err.code === 'DASHBOARD_BAD_QUERY' ? badQuery(err.message) : undefined;
      if (!apiError) throw err;
      if (res.headersSent) {
        res.end();
        return 0;
      }
      return this.send(res, errorResponse(apiError), req);
    }
  }

  private async api(req: IncomingMessage, res: ServerResponse, route: string, query: URLSearchParams): Promise<number> {
    const auth = this.opts.auth;
    const info = { authorization: req.headers.authorization, host: req.headers.host, forwardedProto: req.headers['x-forwarded-proto'] };
    let access: DashboardAccess | undefined;
    if (auth && !(route === 'session' && req.headers.authorization === undefined)) {
      const denied = auth.bearer.checkAccess({ access: [{ type: 'registry', name: 'catalog', action: '*' }], anyToken: true }, info);
      if (denied) return this.send(res, denied, req);
      const token = auth.bearer.tokenOf(info);
      if (!token) return this.send(res, errorResponse(new ApiError('UNAUTHORIZED')), req);
      access = new DashboardAccess(token, auth.rules);
    }
    const visible = access ? (gun: string) => access.mayPull(gun) : undefined;
    const views = this.opts.views;
    if (route === 'session') {
      const session: DashboardSession = {
        ...(access?.user !== undefined ? { user: access.user } : {}),
        auth: auth ? 'token' : 'none',
        ...(auth ? { realm: auth.bearer.realmFor(info), service: this.opts.service } : {}),
        warnDays: views.warnDays,
        now: new Date().toISOString(),
        registry: views.registry,
      };
      return this.json(res, req, session);
    }
    if (route === 'repositories') {
      return this.json(res, req, await views.repositories({ ...repositoryParams(query), ...(visible ? { visible } : {}) }));
    }
    if (route.startsWith('repositories/')) {
      const gun = route.slice('repositories/'.length);
      if (gun === '' || (visible && !visible(gun))) throw notFound(`/ui/api/${route}`, gun);
      if ([...query.keys()].length > 0) throw badQuery(`${[...query.keys()][0]}: unknown parameter (a repository page takes none)`);
      const detail = await views.detail(gun);
      if (!detail) throw notFound(`/ui/api/${route}`, gun);
      return this.json(res, req, detail);
    }
    if (route === 'expiry') {
      return this.json(res, req, await views.expiry({ ...expiryParams(query), ...(visible ? { visible } : {}) }));
    }
    if (route === 'decisions') {
      const audit = this.opts.audit;
      if (!audit) throw notFound('/ui/api/decisions');
      if (access && !access.mayReadDecisions()) {
        const denied = auth?.bearer.checkAccess({ access: [{ type: 'registry', name: 'catalog', action: '*' }], anyToken: false }, info);
        if (denied) return this.send(res, denied, req);
      }
      checkDecisionParams(query);
      const token = auth?.bearer.tokenOf(info);
      try {
        if (AuditApi.wantsStream(req)) {
          await audit.follow(req, res, query, token?.expiresAt);
          return 200;
        }
        // newest first: by default the latest page, read backwards
        const paging = new URLSearchParams(query);
        if (!paging.has('change_id')) paging.set('change_id', '-1');
        if (!paging.has('records')) paging.set('records', String(-DEFAULT_DECISIONS));
        const records = (await audit.records(paging)).reverse();
        const page: DecisionPage = { count: records.length, records };
        return this.json(res, req, page);
      } catch (err) {
        // the feed's own parameter checks: the dashboard's code
        if (err instanceof ApiError && err.code === 'INVALID_PARAMETERS')
          throw badQuery(typeof err.detail === 'string' ? err.detail : err.message);
        throw err;
      }
    }
    throw notFound(`/ui/api/${route}`);
  }

  private json(res: ServerResponse, req: IncomingMessage, value: unknown): number {
    const prepared = jsonResponse(JSON.stringify(value));
    prepared.headers['Cache-Control'] = 'no-store';
    return this.send(res, prepared, req);
  }

  private send(res: ServerResponse, prepared: PreparedResponse, req: IncomingMessage): number {
    res.writeHead(prepared.status, prepared.headers);
    res.end(req.method === 'HEAD' ? undefined : prepared.body);
    return prepared.status;
  }
}

function notFound(path: string, gun?: string): ApiError {
  const detail = gun !== undefined ? `no repository ${gun} (or not one you may pull)` : `no dashboard route ${path}`;
  return new ApiError('DASHBOARD_NOT_FOUND', detail, detail);
}
