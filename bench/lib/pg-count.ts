/**
 * Counts the PostgreSQL statements and transactions of one process (a bench
 * worker or API), by wrapping the pg driver's `Client.prototype.query`, which
 * every query goes through: plain SQL on the pool (activities/infra/sql.ts),
 * Prisma's driver adapter and the outbox dispatcher alike.
 *
 * A transaction is a BEGIN (its statements up to COMMIT/ROLLBACK belong to
 * it), or a statement outside one (autocommit: PostgreSQL makes it a
 * transaction of its own, as pg_stat_database counts it). Installed before
 * anything connects; only the bench processes load it.
 */
import { Client } from 'pg';

export interface PgCounts {
  statements: number;
  transactions: number;
}

const counts: PgCounts = { statements: 0, transactions: 0 };
const inTx = new WeakSet<object>();
let installed = false;

export function countPgQueries(): () => PgCounts {
  if (!installed) {
    installed = true;
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: object, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined;
      const text = (typeof first === 'string' ? first : first?.text ?? '').trimStart().slice(0, 20).toUpperCase();
      if (/^(BEGIN|START TRANSACTION)/.test(text)) {
        inTx.add(this);
        counts.transactions += 1;
      } else if (/^(COMMIT|ROLLBACK|END)\b/.test(text)) {
        inTx.delete(this);
      } else {
        counts.statements += 1;
        if (!inTx.has(this)) counts.transactions += 1;
      }
      return original.apply(this, args);
    };
  }
  return () => ({ ...counts });
}
