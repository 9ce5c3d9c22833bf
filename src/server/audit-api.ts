/**
 * The audit feed's HTTP API (issue 13), next to the trust API:
 *
 *   GET  /_dct/audit/changefeed?change_id=N&records=M[&image=&verdict=&point=]
 *        → 200 {"count":n,"records":[…]}: the trust changefeed's paging (parseChangefeedPage:
 *        change_id default 0, records default 100, negative pages backwards, at most
 *        MAX_AUDIT_PAGE); with `Accept: text/event-stream` a live follow (audit-streams.ts)
 *   POST /_dct/audit  {"records":[…]}  (application/json, at most AUDIT_LIMITS.records records
 *        and MAX_AUDIT_BODY_BYTES) → 201 {"count":n,"ids":[…]}
 *
 * Posted records are checked field by field (400 AUDIT_RECORD_INVALID naming the field); their
 * `source` is who the server authenticated (`user:<token subject>`), or without auth the client's
 * address (`address:<ip>`) — whatever the body says is dropped, as is any `id`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DctError } from '../core/errors.js';
import type { AuditRecord, AuditStore } from '../core/policy/audit-record.js';
import { parseAuditFilters, parseAuditPost } from '../core/policy/audit-record-parser.js';
import { ApiError } from './api-errors.js';
import { AuditStreams, type AuditStreamOptions } from './audit-streams.js';
import { jsonResponse, type PreparedResponse } from './responses.js';
import { parseChangefeedPage } from './trust-api.js';

/** Most records of one page. */
export const MAX_AUDIT_PAGE = 1000;
/** Largest posted body. */
export const MAX_AUDIT_BODY_BYTES = 4 * 1024 * 1024;

export interface AuditApiOptions {
  streams?: AuditStreamOptions;
}

export class AuditApi {
  readonly streams: AuditStreams;
  /** records stored from posts */
  appended = 0;

  constructor(
    private readonly store: AuditStore,
    opts: AuditApiOptions = {},
  ) {
    this.streams = new AuditStreams(store, opts.streams);
  }

  /** Whether a feed request asks for the live follow. */
  static wantsStream(req: IncomingMessage): boolean {
    return /\btext\/event-stream\b/i.test(req.headers.accept ?? '');
  }

  async page(query: URLSearchParams): Promise<PreparedResponse> {
    const records = await this.records(query);
    return jsonResponse(JSON.stringify({ count: records.length, records }));
  }

  /** The records of a page (ascending by id), the query checked as `page` checks it. */
  async records(query: URLSearchParams): Promise<AuditRecord[]> {
    const page = parseChangefeedPage(query, MAX_AUDIT_PAGE, '0');
    return this.store.page({ ...page, ...filters(query) });
  }

  /** The live follow; a refusal (bad query, too many streams) is thrown as an ApiError before anything is written. */
  async follow(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, until?: number): Promise<void> {
    const { changeId } = parseChangefeedPage(query, MAX_AUDIT_PAGE, '0');
    const follow = { changeId, ...filters(query) };
    if (!this.streams.hasRoom()) {
      throw new ApiError('UNAVAILABLE', `at most ${this.streams.maxStreams} audit streams at once`, undefined, { 'Retry-After': '5' });
    }
    await this.streams.serve(req, res, follow, until);
  }

  async post(headers: IncomingMessage['headers'], body: Buffer, source: string): Promise<PreparedResponse> {
    if (!/^application\/json\b/i.test(headers['content-type'] ?? '')) {
      throw invalid('body: the Content-Type must be application/json');
    }
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw invalid(`body: not JSON (${(err as Error).message})`);
    }
    let records;
    try {
      records = parseAuditPost(value);
    } catch (err) {
      if (err instanceof DctError && err.code === 'AUDIT_RECORD_INVALID') throw invalid(err.message);
      throw err;
    }
    const stored = await this.store.append(records.map(({ id: _id, ...r }) => ({ ...r, source })));
    this.appended += stored.length;
    return jsonResponse(JSON.stringify({ count: stored.length, ids: stored.map((r) => r.id) }), undefined, 201);
  }

  close(): Promise<void> {
    return this.streams.close();
  }
}

function filters(query: URLSearchParams) {
  try {
    return parseAuditFilters((name) => query.get(name));
  } catch (err) {
    if (err instanceof DctError) throw new ApiError('INVALID_PARAMETERS', err.message, err.message);
    throw err;
  }
}

function invalid(detail: string): ApiError {
  return new ApiError('AUDIT_RECORD_INVALID', detail, detail);
}

/** Who posted: the authenticated user, else the client's address. */
export function auditSource(subject: string | undefined, client: string): string {
  return subject !== undefined && subject !== '' ? `user:${subject}` : `address:${client}`;
}
