/**
 * D1 as the HTTP edges see it: a failure of the database (unreachable, overloaded, a statement aborted, no
 * answer within STORAGE_TIMEOUT_MS) is
 * an outage the caller can retry, 503 `storage_unavailable` with Retry-After, never a 500. Constraint
 * violations pass through unchanged: they are answers (a taken slug), not outages, and the code that
 * expects one names it. Wrapping the binding once at the Worker's entry covers every query, present and
 * future, without each storage module catching its own.
 */
import { DomainError, Reason } from "../errors";
import { errorName, log } from "../observability/log";
import { STORAGE_TIMEOUT_MS, withDeadline } from "../time/deadline";

/** How long a D1 call may take before it counts as failed (tests shorten it). */
let timeoutMs = STORAGE_TIMEOUT_MS;
export function setStorageTimeoutForTests(ms: number): void {
  timeoutMs = ms;
}

/** A statement D1 refused for a table constraint (a UNIQUE key, a NOT NULL): an answer, not an outage. */
export const isConstraintViolation = (err: unknown): err is Error => err instanceof Error && /constraint failed/i.test(err.message);

/** The constraint violation of a UNIQUE key: what a taken slug or a duplicate id looks like. */
export const isUniqueViolation = (err: unknown): err is Error => err instanceof Error && /UNIQUE constraint failed/i.test(err.message);

async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await withDeadline(call(), timeoutMs);
  } catch (err) {
    if (err instanceof DomainError || isConstraintViolation(err)) throw err;
    log("error", "storage_failed", { name: errorName(err) });
    throw new DomainError(Reason.storage_unavailable, undefined, { retryAfterSeconds: 1, cause: err });
  }
}

/** The real statement behind a guarded one, for batch(), which only takes D1's own. */
const underlying = new WeakMap<object, D1PreparedStatement>();

function guardStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const guarded = {
    bind: (...values: unknown[]) => guardStatement(statement.bind(...values)),
    first: (column?: string) => guard(() => (column === undefined ? statement.first() : statement.first(column))),
    run: () => guard(() => statement.run()),
    all: () => guard(() => statement.all()),
    raw: (options?: { columnNames?: boolean }) => guard(() => statement.raw(options as { columnNames: true })),
  };
  underlying.set(guarded, statement);
  return guarded as unknown as D1PreparedStatement;
}

const guardedDatabases = new WeakMap<D1Database, D1Database>();

/** `db` with every failure mapped as above; one wrapper per binding, so identity-keyed caches still work. */
export function guardedD1(db: D1Database): D1Database {
  let guarded = guardedDatabases.get(db);
  if (!guarded) {
    guarded = {
      prepare: (query: string) => guardStatement(db.prepare(query)),
      batch: (statements: D1PreparedStatement[]) => guard(() => db.batch(statements.map((s) => underlying.get(s) ?? s))),
      exec: (query: string) => guard(() => db.exec(query)),
      dump: () => guard(() => db.dump()),
      withSession: (constraint?: string) => db.withSession(constraint),
    } as unknown as D1Database;
    guardedDatabases.set(db, guarded);
  }
  return guarded;
}
