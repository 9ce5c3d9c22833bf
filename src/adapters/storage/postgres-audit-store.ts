/**
 * The audit feed in PostgreSQL (migration 4), for several server replicas. Shares the pool of
 * PostgresStore. An append is one transaction under an advisory lock held to commit (as the TUF
 * changefeed's), so ids become visible in id order and a reader paging forward skips nothing;
 * it removes the records beyond the retention by id (ids may have gaps after rollbacks: at most
 * the retention is kept) and NOTIFYs `dct_audit[_<schema>]` (payload: the last id).
 *
 * `watch` LISTENs on its own connection, opened by the first call, reconnecting with back-off;
 * after a reconnect listeners are called once (they page on from their last id, so what was
 * appended meanwhile is not missed).
 */
import type pg from 'pg';
import type { AuditQuery, AuditRecord, AuditStore } from '../../core/policy/audit-record.js';
import { assertAuditQuery, assertRetention, auditRow, DEFAULT_AUDIT_RETENTION, pageDirection, recordOfRow } from './audit-rows.js';
import { PostgresChannel } from './postgres-channel.js';
import { inTransaction } from './postgres-client.js';

/** the first key of the audit feed's advisory lock ("DCT" + a number, next to PostgresStore's) */
const AUDIT_LOCK = 0x44435404;

interface Row {
  id: string;
  record: string;
}

export class PostgresAuditStore implements AuditStore {
  private readonly retention: number;
  /** listeners only learn that something was appended: they page on from their last id */
  private readonly appended: PostgresChannel<null>;

  constructor(
    private readonly pool: pg.Pool,
    clientConfig: pg.ClientConfig,
    /** `dct_audit`, or `dct_audit_<schema>` */
    channel: string,
    retention: number = DEFAULT_AUDIT_RETENTION,
  ) {
    this.retention = assertRetention(retention);
    this.appended = new PostgresChannel(clientConfig, channel, {
      what: 'audit',
      decode: () => null,
      // appends made while away sent notifications nobody heard: listeners look once
      caughtUp: (_client, reconnect) => Promise.resolve(reconnect ? [null] : []),
    });
  }

  async append(records: readonly AuditRecord[]): Promise<AuditRecord[]> {
    if (records.length === 0) return [];
    const rows = records.map(auditRow);
    const column = (key: keyof (typeof rows)[number]) => rows.map((r) => r[key]);
    const stored = await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, 0)', [AUDIT_LOCK]);
      const { rows: inserted } = await client.query<Row>(
        `INSERT INTO audit_records (at, point, image, verdict, record)
         SELECT at, point, image, verdict, record
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(at, point, image, verdict, record, n)
         ORDER BY n RETURNING id, record`,
        [column('at'), column('point'), column('image'), column('verdict'), column('record')],
      );
      const out = inserted.map((r) => recordOfRow(Number(r.id), r.record)).sort((a, b) => (a.id as number) - (b.id as number));
      const last = out[out.length - 1]?.id as number;
      if (last > this.retention) await client.query('DELETE FROM audit_records WHERE id <= $1', [last - this.retention]);
      await client.query('SELECT pg_notify($1, $2)', [this.appended.channel, String(last)]);
      return out;
    });
    this.appended.notify(null);
    return stored;
  }

  async page(query: AuditQuery): Promise<AuditRecord[]> {
    assertAuditQuery(query);
    const { backward, limit } = pageDirection(query);
    if (limit === 0) return [];
    const params: unknown[] = [];
    const where: string[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (query.image !== undefined) where.push(`image = ${param(query.image)}`);
    if (query.verdict !== undefined) where.push(`verdict = ${param(query.verdict)}`);
    if (query.point !== undefined) where.push(`point = ${param(query.point)}`);
    if (!backward) where.push(`id > ${param(query.changeId)}`);
    else if (query.changeId > 0) where.push(`id < ${param(query.changeId)}`);
    const { rows } = await this.pool.query<Row>(
      `SELECT id, record FROM audit_records ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id ${backward ? 'DESC' : 'ASC'} LIMIT ${param(limit)}`,
      params,
    );
    if (backward) rows.reverse();
    return rows.map((r) => recordOfRow(Number(r.id), r.record));
  }

  watch(listener: () => void): Promise<() => Promise<void>> {
    return this.appended.watch(() => listener());
  }

  /** Ends the LISTEN connection (the pool is PostgresStore's to end). */
  close(): Promise<void> {
    return this.appended.close();
  }
}
