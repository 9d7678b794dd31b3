import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { StoreAmountError } from '@genops/core';

/**
 * Schema migrations, oldest first: `MIGRATIONS[n]` takes a database from schema version `n` to `n + 1`.
 * Append new ones; never edit one that has shipped. Amounts are integer units (nano-USD since version
 * 3, micro-USD before; tokens or requests) and times epoch ms.
 */
const MIGRATIONS: readonly string[] = [
  `
  -- One row per budget line (a budget, a per value and a period). For rolling lines (window_ms set)
  -- committed amounts live in buckets and used stays 0.
  CREATE TABLE lines (
    key TEXT PRIMARY KEY,
    budget TEXT NOT NULL,
    unit TEXT NOT NULL,
    limit_value INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER,
    window_ms INTEGER,
    bucket_ms INTEGER,
    touched_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE buckets (
    line_key TEXT NOT NULL,
    start INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (line_key, start)
  ) WITHOUT ROWID;

  -- Open reservations; lines is the JSON array of the BudgetLines reserved.
  CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    lines TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX reservations_expires_at ON reservations (expires_at);

  -- markOnce keys; expires_at NULL = never.
  CREATE TABLE marks (
    key TEXT PRIMARY KEY,
    expires_at INTEGER
  ) WITHOUT ROWID;

  -- seq keeps insertion order (a replaced record keeps its place); record is the ApprovalRecord as JSON.
  CREATE TABLE approvals (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decided_at INTEGER,
    record TEXT NOT NULL
  );
  CREATE INDEX approvals_created_at ON approvals (created_at, seq);

  -- The audit hash chain; data is the entry's data as JSON.
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    subject TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  `,
  `
  -- A settled reservation stays, settled = 1, until expires_at: then a repeated settlement of it (a
  -- replay after a lost reply) is recognised and commits nothing. expires_at is one lease length after
  -- an on-time settlement, the retention after a late one; the lease-expiry scan deletes the row then.
  ALTER TABLE reservations ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- USD lines count nano-USD instead of micro-USD (no call rounds to $0 any more): every USD amount
  -- (limit, used, reserved, rolling buckets, the amounts and limits of open reservations) is ×1000.
  -- Token and request lines are unchanged. migrate() checks first that every amount stays exact.
  UPDATE lines SET limit_value = limit_value * 1000, used = used * 1000, reserved = reserved * 1000
    WHERE unit = 'USD';
  UPDATE buckets SET amount = amount * 1000
    WHERE line_key IN (SELECT key FROM lines WHERE unit = 'USD');
  UPDATE reservations SET lines = (
    SELECT json_group_array(
      CASE WHEN json_extract(line.value, '$.unit') = 'USD'
        THEN json_set(line.value, '$.amount', json_extract(line.value, '$.amount') * 1000,
                                  '$.limit', json_extract(line.value, '$.limit') * 1000)
        ELSE json(line.value) END)
    FROM json_each(reservations.lines) AS line)
    WHERE settled = 0 AND lines LIKE '%"unit":"USD"%';
  `,
  `
  -- sent = 1: the reservation's request left the process (markSent), so when its lease ends unsettled
  -- it is committed at its reserved amounts instead of released. Rows written before read as not sent.
  ALTER TABLE reservations ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
  `,
  `
  -- Settled reservations leave the reservations table (which then holds open ones only, a few pages)
  -- for settled, keyed in time order: a settlement appends to its last page instead of rewriting a
  -- page picked at random by its (random) id, and expired ids are a range at its start. A row is kept
  -- until expires_at (one lease length after an on-time settlement, the retention after a late one), so
  -- a repeated settlement of it (a replay after a lost reply) commits nothing.
  -- at: when it was settled (for a moved row: when its reservation started, or its late settlement).
  CREATE TABLE settled (
    expires_at INTEGER NOT NULL,
    id TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (expires_at, id)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO settled (expires_at, id, at)
    SELECT expires_at, id, started_at FROM reservations WHERE settled = 1;
  DELETE FROM reservations WHERE settled = 1;
  ALTER TABLE reservations DROP COLUMN settled;
  -- A reservation released (or ended unsent) after its id had been settled before (an id reserved
  -- again): a settled row of that id from before started_at is no longer a settlement of it, as
  -- MemoryStore forgets a settled id when it is reserved again. Appended, as settled; kept as long.
  CREATE TABLE released (
    expires_at INTEGER NOT NULL,
    id TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    PRIMARY KEY (expires_at, id)
  ) WITHOUT ROWID;
  `,
];

/** The schema version from which USD amounts are nano-USD (micro-USD before). */
const NANO_USD_VERSION = 3;

/** The largest micro-USD amount that is still exact as nano-USD in a JS number. */
const MAX_MICRO_USD = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/**
 * Before the nano-USD migration: refuses (nothing changed) when an old micro-USD amount would not be
 * exact as nano-USD ($9,007,199.25 per line), rather than let a ledger silently lose precision.
 */
function assertMigratableToNanos(db: DatabaseSync): void {
  const row = db
    .prepare(
      `SELECT MAX(m) AS m FROM (
        SELECT MAX(limit_value, used, reserved) AS m FROM lines WHERE unit = 'USD'
        UNION ALL SELECT amount FROM buckets WHERE line_key IN (SELECT key FROM lines WHERE unit = 'USD'))`,
    )
    .get() as { m: number | null } | undefined;
  const largest = row?.m ?? 0;
  if (largest > MAX_MICRO_USD)
    throw new StoreAmountError({
      store: 'sqlite',
      operation: 'migrate',
      id: `schema ${NANO_USD_VERSION - 1} to ${NANO_USD_VERSION}`,
      field: 'a USD line amount ×1000 (micro- to nano-USD)',
      received: largest * 1000,
    });
}

/** The schema version this package writes (and the newest it reads). */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to {@link SCHEMA_VERSION} in one write transaction, so processes opening the same
 * file at once migrate it exactly once, and returns the file's store id (a UUID written once).
 * @throws Error when the file was written by a newer version of this package.
 */
export function migrate(db: DatabaseSync): string {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    const version = row ? Number(row.value) : 0;
    if (!Number.isInteger(version) || version < 0)
      throw new Error(`its schema_version is "${row?.value}", not a version this package knows`);
    if (version > SCHEMA_VERSION)
      throw new Error(
        `it has schema version ${version}, written by a newer @genops/store-sqlite (this one reads up to version ${SCHEMA_VERSION}); upgrade @genops/store-sqlite`,
      );
    for (let next = version; next < SCHEMA_VERSION; next++) {
      if (next + 1 === NANO_USD_VERSION) assertMigratableToNanos(db);
      db.exec(MIGRATIONS[next]!);
    }
    if (version !== SCHEMA_VERSION)
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    // The file's identity, written once when it is created (or first opened by this version).
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)").run(randomUUID());
    const id = (db.prepare("SELECT value FROM meta WHERE key = 'store_id'").get() as { value: string }).value;
    db.exec('COMMIT');
    return id;
  } catch (error) {
    rollback(db);
    throw error;
  }
}

/** Rolls back the open transaction, if there is one (SQLite may already have rolled it back itself). */
export function rollback(db: DatabaseSync): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // No transaction was active.
  }
}
