/**
 * The audit feed in the server's SQLite file (migration 4). Shares the connection of
 * SqliteStore; an append is one IMMEDIATE transaction that also removes the records beyond
 * the retention (by id, through the primary key: a few rows per append). `watch` hears the
 * appends of this process (one process per SQLite file, as for the TUF files).
 */
import type { AuditQuery, AuditRecord, AuditStore } from '../../core/policy/audit-record.js';
import { assertAuditQuery, assertRetention, auditRow, DEFAULT_AUDIT_RETENTION, pageDirection, recordOfRow } from './audit-rows.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';

interface Row {
  id: number;
  record: string;
}

export class SqliteAuditStore implements AuditStore {
  private readonly insert;
  private readonly trim;
  private readonly listeners = new Set<() => void>();
  private readonly retention: number;
  /** page statements by their SQL (at most 24 shapes of filters and direction) */
  private readonly pages = new Map<string, SqliteStatement<Array<string | number>, Row>>();

  constructor(
    private readonly db: SqliteDatabase,
    retention: number = DEFAULT_AUDIT_RETENTION,
  ) {
    this.retention = assertRetention(retention);
    this.insert = db.prepare<[string, string, string, string, string], { id: number }>(
      'INSERT INTO audit_records (at, point, image, verdict, record) VALUES (?, ?, ?, ?, ?) RETURNING id',
    );
    this.trim = db.prepare<[number]>('DELETE FROM audit_records WHERE id <= ?');
  }

  async append(records: readonly AuditRecord[]): Promise<AuditRecord[]> {
    if (records.length === 0) return [];
    const stored = this.db.immediate(() => {
      const out: AuditRecord[] = [];
      let last = 0;
      for (const record of records) {
        const row = auditRow(record);
        last = (this.insert.get(row.at, row.point, row.image, row.verdict, row.record) as { id: number }).id;
        out.push(recordOfRow(last, row.record));
      }
      if (last > this.retention) this.trim.run(last - this.retention);
      return out;
    });
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        process.emitWarning(`dct: an audit watch listener failed: ${(err as Error).message}`);
      }
    }
    return stored;
  }

  async page(query: AuditQuery): Promise<AuditRecord[]> {
    assertAuditQuery(query);
    const { backward, limit } = pageDirection(query);
    if (limit === 0) return [];
    const where: string[] = [];
    const params: Array<string | number> = [];
    const add = (condition: string, value: string | number) => {
      where.push(condition);
      params.push(value);
    };
    if (query.image !== undefined) add('image = ?', query.image);
    if (query.verdict !== undefined) add('verdict = ?', query.verdict);
    if (query.point !== undefined) add('point = ?', query.point);
    if (!backward) add('id > ?', query.changeId);
    else if (query.changeId > 0) add('id < ?', query.changeId);
    params.push(limit);
    const sql = `SELECT id, record FROM audit_records ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${backward ? 'DESC' : 'ASC'} LIMIT ?`;
    let statement = this.pages.get(sql);
    if (!statement) this.pages.set(sql, (statement = this.db.prepare<Array<string | number>, Row>(sql)));
    const rows = statement.all(...params);
    if (backward) rows.reverse();
    return rows.map((r) => recordOfRow(r.id, r.record));
  }

  async watch(listener: () => void): Promise<() => Promise<void>> {
    const entry = () => listener();
    this.listeners.add(entry);
    return async () => {
      this.listeners.delete(entry);
    };
  }

  close(): void {
    this.listeners.clear();
  }
}
