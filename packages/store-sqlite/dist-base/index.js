// ../../../../../tmp/stores/basesrc/src/open-store.ts

// ../../../../../tmp/stores/basesrc/src/sqlite-store.ts
import { mkdirSync } from 'node:fs';
import { dirname, resolve, resolve as resolve2 } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { chainAuditEntries } from '@genops/core';

// ../../../../../tmp/stores/basesrc/src/schema.ts
var MIGRATIONS = [
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
];
var SCHEMA_VERSION = MIGRATIONS.length;
function migrate(db) {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get();
    const version = row ? Number(row.value) : 0;
    if (!Number.isInteger(version) || version < 0)
      throw new Error(`its schema_version is "${row?.value}", not a version this package knows`);
    if (version > SCHEMA_VERSION)
      throw new Error(
        `it has schema version ${version}, written by a newer @genops/store-sqlite (this one reads up to version ${SCHEMA_VERSION}); upgrade @genops/store-sqlite`,
      );
    for (let next = version; next < SCHEMA_VERSION; next++) db.exec(MIGRATIONS[next]);
    if (version !== SCHEMA_VERSION)
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    db.exec('COMMIT');
  } catch (error) {
    rollback(db);
    throw error;
  }
}
function rollback(db) {
  try {
    db.exec('ROLLBACK');
  } catch {}
}

// ../../../../../tmp/stores/basesrc/src/sqlite-store.ts
var DAY_MS = 864e5;
var SWEEP_INTERVAL_MS = 6e4;
var MAX_TIMER_MS = 2147483647;
var DEFAULT_BUSY_TIMEOUT_MS = 5e3;
var DEFAULT_APPROVAL_POLL_MS = 200;
var LINE_COLUMNS =
  'key, budget, unit, limit_value AS "limit", used, reserved, expires_at AS expiresAt, window_ms AS windowMs, bucket_ms AS bucketMs, touched_at AS touchedAt';
var SqliteStore = class {
  kind = 'sqlite';
  /** What GenOps does when the store cannot be used (see {@link SqliteStoreOptions.failMode}). */
  failMode;
  /** The database file (absolute), or `:memory:`. */
  path;
  db;
  statements;
  now;
  retentionMs;
  approvalPollMs;
  waiters = /* @__PURE__ */ new Map();
  poller;
  nextSweep = Number.NEGATIVE_INFINITY;
  closed = false;
  /**
   * Opens (and creates or migrates) the database at `options.path`.
   * @throws Error naming the path and the cause when the file cannot be opened or is not a store this
   *   version can read.
   */
  constructor(options) {
    this.path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
    this.now = options.now ?? Date.now;
    this.failMode = options.failMode ?? 'closed';
    this.retentionMs = options.retentionMs ?? DAY_MS;
    this.approvalPollMs = Math.max(1, options.approvalPollMs ?? DEFAULT_APPROVAL_POLL_MS);
    const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS));
    let db;
    try {
      if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
      db = new DatabaseSync(this.path);
      db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      migrate(db);
      this.statements = prepareStatements(db);
    } catch (error) {
      try {
        db?.close();
      } catch {}
      throw new Error(`genops: cannot open the SQLite store at ${this.path}: ${messageOf(error)}`, { cause: error });
    }
    this.db = db;
  }
  async reserve(request) {
    const now = this.begin();
    this.sweepWhenDue(now);
    return this.write(() => {
      this.expireLeases(now);
      if (this.statements.reservationExists.get(request.id))
        throw new Error(`genops: reservation "${request.id}" is already open`);
      const lines = request.lines.map(copyLine);
      const rows = /* @__PURE__ */ new Map();
      const asked = /* @__PURE__ */ new Map();
      for (const line of lines) {
        const before = asked.get(line.key) ?? 0;
        asked.set(line.key, before + line.amount);
        if (line.amount === 0 || !line.enforce) continue;
        const row = this.loadRow(rows, line.key);
        if (row) this.configure(row, line, now);
        const current = row ? this.state(row, now) : emptyState(line);
        if (current.used + current.reserved + before + line.amount > line.limit) {
          this.saveRows(rows);
          return { ok: false, failed: current, requested: line.amount };
        }
      }
      const reserved = lines.map((line) => {
        const row = this.rowFor(rows, line, now);
        row.reserved += line.amount;
        row.touchedAt = now;
        return row;
      });
      this.statements.insertReservation.run(request.id, JSON.stringify(lines), now, now + Math.max(0, request.leaseMs));
      const states = reserved.map((row) => this.state(row, now));
      this.saveRows(rows);
      return { ok: true, lines: states };
    });
  }
  async settle(id, actual, lines) {
    const now = this.begin();
    this.sweepWhenDue(now);
    return this.write(() => {
      this.expireLeases(now);
      const rows = /* @__PURE__ */ new Map();
      const reservation = this.statements.selectReservation.get(id);
      if (!reservation) {
        const committed2 = (lines ?? []).map((line) => {
          const row = this.rowOf(rows, line, now);
          this.commit(row, actual[line.unit] ?? 0, now, now);
          return row;
        });
        const states2 = committed2.map((row) => this.state(row, now));
        this.saveRows(rows);
        return { open: false, lines: states2 };
      }
      this.statements.deleteReservation.run(id);
      const committed = JSON.parse(reservation.lines).map((line) => {
        const row = this.rowOf(rows, line, now);
        row.reserved = Math.max(0, row.reserved - line.amount);
        this.commit(row, actual[line.unit] ?? 0, reservation.started_at, now);
        return row;
      });
      const states = committed.map((row) => this.state(row, now));
      this.saveRows(rows);
      return { open: true, lines: states };
    });
  }
  async release(id) {
    const now = this.begin();
    this.sweepWhenDue(now);
    return this.write(() => {
      this.expireLeases(now);
      const reservation = this.statements.selectReservation.get(id);
      if (!reservation) return false;
      this.unreserve(reservation);
      return true;
    });
  }
  async lines(prefix = '') {
    const now = this.begin();
    this.maintain(now);
    const states = [];
    return this.read(() => {
      for (const row of this.statements.selectLineStates.iterate(prefix, now)) {
        if (!row.key.startsWith(prefix)) break;
        states.push({
          key: row.key,
          budget: row.budget,
          unit: row.unit,
          limit: row.limit,
          used: row.used,
          reserved: row.reserved,
        });
      }
      return states.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    });
  }
  async openReservations() {
    const now = this.begin();
    this.maintain(now);
    return this.read(() => this.statements.countOpenReservations.get(now).count);
  }
  async markOnce(key, expiresAt) {
    const now = this.begin();
    this.maintain(now);
    return this.read(() => this.statements.markOnce.run(key, expiresAt ?? null, now).changes === 1);
  }
  /** Records a pending approval; a record with the same id is replaced. */
  async createApproval(record) {
    const now = this.begin();
    this.maintain(now);
    const json = JSON.stringify(record);
    this.read(() =>
      this.statements.upsertApproval.run(
        record.id,
        record.status,
        record.createdAt,
        record.expiresAt,
        record.decidedAt ?? null,
        json,
      ),
    );
    if (record.status !== 'pending') this.notify(record.id, json);
  }
  async decideApproval(id, decision) {
    const now = this.begin();
    this.maintain(now);
    const decided = this.write(() => {
      const row = this.statements.selectApproval.get(id);
      if (!row) return void 0;
      const record = JSON.parse(row.record);
      if (record.status !== 'pending') return { json: row.record, changed: false };
      record.status = decision.status;
      record.decidedAt = now;
      record.decidedBy = decision.decidedBy;
      if (decision.reason !== void 0) record.decisionReason = decision.reason;
      const json = JSON.stringify(record);
      this.statements.updateApproval.run(record.status, now, json, id);
      return { json, changed: true };
    });
    if (!decided) return void 0;
    if (decided.changed) this.notify(id, decided.json);
    return JSON.parse(decided.json);
  }
  async getApproval(id) {
    this.maintain(this.begin());
    return this.read(() => this.approval(id));
  }
  async listApprovals(filter = {}) {
    this.maintain(this.begin());
    return this.read(() => {
      const rows =
        filter.status === void 0
          ? this.statements.listApprovals.all()
          : this.statements.listApprovalsByStatus.all(filter.status);
      return rows.map((row) => JSON.parse(row.record));
    });
  }
  /**
   * Resolves as soon as the approval is decided: at once for a decision made through this instance, and
   * within {@link SqliteStoreOptions.approvalPollMs} for one made by another process. Resolves at once
   * when it is already decided, and with the still-pending record after `timeoutMs` of real time.
   */
  async waitForApproval(id, timeoutMs) {
    this.maintain(this.begin());
    const record = this.read(() => this.approval(id));
    if (!record) return void 0;
    if (record.status !== 'pending' || timeoutMs <= 0) return record;
    return new Promise((resolve3) => {
      let waiters = this.waiters.get(id);
      if (!waiters) this.waiters.set(id, (waiters = /* @__PURE__ */ new Set()));
      const waiter = (decided) => {
        clearTimeout(timer);
        resolve3(decided);
      };
      const timer = setTimeout(
        () => {
          const current = this.waiters.get(id);
          current?.delete(waiter);
          if (current?.size === 0) this.waiters.delete(id);
          this.stopPollerWhenIdle();
          resolve3(this.tryApproval(id) ?? record);
        },
        Math.min(timeoutMs, MAX_TIMER_MS),
      );
      timer.unref();
      waiters.add(waiter);
      this.startPoller();
    });
  }
  async appendAudit(entries) {
    this.begin();
    if (entries.length === 0) return [];
    const texts = entries.map((entry) => JSON.stringify(entry.data));
    const copies = entries.map((entry, index) => ({
      type: entry.type,
      at: entry.at,
      subject: entry.subject,
      data: JSON.parse(texts[index]),
    }));
    const records = this.write(() => {
      const tip = this.statements.selectAuditTip.get();
      const chained = chainAuditEntries(tip, copies);
      chained.forEach((record, index) => {
        this.statements.insertAudit.run(
          record.seq,
          record.type,
          record.at,
          record.subject,
          texts[index],
          record.prevHash,
          record.hash,
        );
      });
      return chained;
    });
    for (const record of records) {
      Object.freeze(record.data);
      Object.freeze(record);
    }
    return records;
  }
  async readAudit(options = {}) {
    this.begin();
    const limit = options.limit === void 0 ? -1 : Math.max(0, Math.floor(options.limit));
    return this.read(() =>
      this.statements.readAudit.all(options.fromSeq ?? 1, limit).map((row) => ({
        seq: row.seq,
        type: row.type,
        at: row.at,
        subject: row.subject,
        data: JSON.parse(row.data),
        prevHash: row.prevHash,
        hash: row.hash,
      })),
    );
  }
  /**
   * Resolves every pending `waitForApproval` with the record as it is now, then closes the database.
   * Idempotent; other methods reject afterwards.
   */
  async close() {
    if (this.closed) return;
    for (const [id, waiters] of this.waiters) {
      const record = this.tryApproval(id);
      for (const waiter of waiters) if (record) waiter(structuredClone(record));
    }
    this.waiters.clear();
    this.stopPollerWhenIdle();
    this.closed = true;
    this.db.close();
  }
  // ---- Transactions ---------------------------------------------------------------------------------
  /** The time for an operation; throws once the store is closed. */
  begin() {
    if (this.closed) throw new Error(`genops: the SQLite store at ${this.path} is closed`);
    return this.now();
  }
  /** Before a write: runs the housekeeping sweep when it is due (the write releases expired leases itself). */
  sweepWhenDue(now) {
    if (now >= this.nextSweep) this.sweep(now);
  }
  /** Runs `work` in one write transaction (`BEGIN IMMEDIATE`): all of it commits, or none of it. */
  write(work) {
    try {
      this.statements.begin.run();
    } catch (error) {
      throw this.storeError(error);
    }
    try {
      const result = work();
      this.statements.commit.run();
      return result;
    } catch (error) {
      rollback(this.db);
      throw this.storeError(error);
    }
  }
  /** Runs a read (or a single-statement write), naming the store in SQLite's errors. */
  read(work) {
    try {
      return work();
    } catch (error) {
      throw this.storeError(error);
    }
  }
  storeError(error) {
    if (!isSqliteError(error)) return error;
    return new Error(`genops: SQLite store ${this.path}: ${messageOf(error)}`, { cause: error });
  }
  /** Before a read: releases expired leases, and runs the housekeeping sweep when it is due. */
  maintain(now) {
    if (now >= this.nextSweep) this.sweep(now);
    else if (this.read(() => this.statements.hasExpiredLeases.get(now))) this.write(() => this.expireLeases(now));
  }
  // ---- Budget lines ---------------------------------------------------------------------------------
  loadRow(rows, key) {
    const cached = rows.get(key);
    if (cached) return cached;
    const found = this.statements.selectLine.get(key);
    if (!found) return void 0;
    const row = { ...found };
    rows.set(key, row);
    return row;
  }
  /** The row of `line`, created when missing, with the line's (newest) configuration applied. */
  rowFor(rows, line, now) {
    const row = this.rowOf(rows, line, now);
    this.configure(row, line, now);
    return row;
  }
  /**
   * The row of `line` as it is, created from the line when missing. Settlements use it: their lines are
   * as old as the reservation, so they must not undo a newer limit.
   */
  rowOf(rows, line, now) {
    const found = this.loadRow(rows, line.key);
    if (found) {
      this.refresh(found, now);
      return found;
    }
    const rolling = line.rolling ? normalizeRolling(line.rolling) : void 0;
    const row = {
      key: line.key,
      budget: line.budget,
      unit: line.unit,
      limit: line.limit,
      used: 0,
      reserved: 0,
      expiresAt: line.expiresAt ?? null,
      windowMs: rolling?.windowMs ?? null,
      bucketMs: rolling?.bucketMs ?? null,
      touchedAt: now,
    };
    rows.set(line.key, row);
    return row;
  }
  /**
   * Starts a new period when the row's ended, then applies the line's configuration: the limit may
   * change between calls (reloaded configuration), and the newest wins.
   */
  configure(row, line, now) {
    this.refresh(row, now);
    row.budget = line.budget;
    row.unit = line.unit;
    row.limit = line.limit;
    row.expiresAt = line.expiresAt ?? null;
    if (line.rolling) {
      const rolling = normalizeRolling(line.rolling);
      if (row.windowMs === null && row.used !== 0) {
        row.windowMs = rolling.windowMs;
        row.bucketMs = rolling.bucketMs;
        this.commit(row, row.used, now, now);
        row.used = 0;
      }
      row.windowMs = rolling.windowMs;
      row.bucketMs = rolling.bucketMs;
    } else if (row.windowMs !== null) {
      row.used = this.windowSum(row, now);
      this.statements.deleteBuckets.run(row.key);
      row.windowMs = null;
      row.bucketMs = null;
    }
  }
  /** A row whose period has ended reads as empty; amounts still reserved on it stay reserved. */
  refresh(row, now) {
    if (row.expiresAt === null || row.expiresAt > now) return;
    row.used = 0;
    if (row.windowMs !== null) this.statements.deleteBuckets.run(row.key);
  }
  /** Commits `amount`: into a rolling line's bucket of `at`, or into a calendar line's period. */
  commit(row, amount, at, now) {
    row.touchedAt = now;
    if (amount === 0) return;
    if (row.windowMs !== null) {
      const bucketMs = row.bucketMs ?? 1;
      this.statements.addToBucket.run(row.key, Math.floor(at / bucketMs) * bucketMs, amount);
    } else {
      row.used += amount;
    }
  }
  /** Sum of a rolling line's buckets starting after `now - windowMs - bucketMs`. */
  windowSum(row, now) {
    if (row.windowMs === null) return row.used;
    const after = now - row.windowMs - (row.bucketMs ?? 1);
    return this.statements.sumBuckets.get(row.key, after).total;
  }
  state(row, now) {
    this.refresh(row, now);
    return {
      key: row.key,
      budget: row.budget,
      unit: row.unit,
      limit: row.limit,
      used: row.windowMs !== null ? this.windowSum(row, now) : row.used,
      reserved: row.reserved,
    };
  }
  saveRows(rows) {
    for (const row of rows.values()) {
      this.statements.upsertLine.run(
        row.key,
        row.budget,
        row.unit,
        row.limit,
        row.used,
        row.reserved,
        row.expiresAt,
        row.windowMs,
        row.bucketMs,
        row.touchedAt,
      );
    }
  }
  unreserve(reservation) {
    this.statements.deleteReservation.run(reservation.id);
    for (const line of JSON.parse(reservation.lines)) this.statements.unreserveLine.run(line.amount, line.key);
  }
  /** Releases every reservation whose lease has ended (a holder that never settled). Inside a transaction. */
  expireLeases(now) {
    for (const reservation of this.statements.selectExpiredLeases.all(now)) this.unreserve(reservation);
  }
  /** Drops state past its retention so the file stays bounded; at most once a minute per instance. */
  sweep(now) {
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    const horizon = now - this.retentionMs;
    const statements = this.statements;
    this.write(() => {
      this.expireLeases(now);
      statements.sweepEndedLines.run(horizon);
      statements.sweepIdleRollingLines.run(horizon, now);
      statements.sweepBuckets.run(now);
      statements.sweepMarks.run(now);
      statements.sweepApprovals.run(horizon);
    });
  }
  // ---- Approvals ------------------------------------------------------------------------------------
  approval(id) {
    const row = this.statements.selectApproval.get(id);
    return row && JSON.parse(row.record);
  }
  /** The approval as stored, or `undefined` when it is gone or the store cannot be read (busy, closed). */
  tryApproval(id) {
    const json = this.tryApprovalJson(id);
    return json === void 0 ? void 0 : JSON.parse(json);
  }
  tryApprovalJson(id) {
    if (this.closed) return void 0;
    try {
      return this.statements.selectApproval.get(id)?.record;
    } catch {
      return void 0;
    }
  }
  notify(id, json) {
    const waiters = this.waiters.get(id);
    if (!waiters) return;
    this.waiters.delete(id);
    for (const waiter of waiters) waiter(JSON.parse(json));
    this.stopPollerWhenIdle();
  }
  /**
   * One timer for every waiter: re-reads each awaited approval for decisions made elsewhere. Unlike
   * `MemoryStore`'s, it keeps the process alive while a call waits (at most until the wait's timeout, or
   * {@link close}): the decision comes from another process, so nothing else in this one may be running,
   * and a process that exited would abandon the held call.
   */
  startPoller() {
    if (this.poller) return;
    this.poller = setInterval(() => {
      for (const id of [...this.waiters.keys()]) {
        const json = this.tryApprovalJson(id);
        if (json !== void 0 && JSON.parse(json).status !== 'pending') this.notify(id, json);
      }
    }, this.approvalPollMs);
  }
  stopPollerWhenIdle() {
    if (this.waiters.size > 0 || !this.poller) return;
    clearInterval(this.poller);
    this.poller = void 0;
  }
};
function prepareStatements(db) {
  const prepare = (sql) => db.prepare(sql);
  return {
    begin: prepare('BEGIN IMMEDIATE'),
    commit: prepare('COMMIT'),
    selectLine: prepare(`SELECT ${LINE_COLUMNS} FROM lines WHERE key = ?`),
    upsertLine: prepare(
      `INSERT INTO lines (key, budget, unit, limit_value, used, reserved, expires_at, window_ms, bucket_ms, touched_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET budget = excluded.budget, unit = excluded.unit, limit_value = excluded.limit_value,
         used = excluded.used, reserved = excluded.reserved, expires_at = excluded.expires_at,
         window_ms = excluded.window_ms, bucket_ms = excluded.bucket_ms, touched_at = excluded.touched_at`,
    ),
    unreserveLine: prepare('UPDATE lines SET reserved = MAX(0, reserved - ?) WHERE key = ?'),
    /** Line states from a key on, in key order; `used` as `MemoryStore` reads it (0 once the period ended). */
    selectLineStates: prepare(
      `SELECT key, budget, unit, limit_value AS "limit", reserved,
         CASE
           WHEN expires_at IS NOT NULL AND expires_at <= ?2 THEN 0
           WHEN window_ms IS NULL THEN used
           ELSE (SELECT COALESCE(SUM(b.amount), 0) FROM buckets b
                 WHERE b.line_key = lines.key AND b.start > ?2 - lines.window_ms - lines.bucket_ms)
         END AS used
       FROM lines WHERE key >= ?1 ORDER BY key`,
    ),
    addToBucket: prepare(
      `INSERT INTO buckets (line_key, start, amount) VALUES (?, ?, ?)
       ON CONFLICT (line_key, start) DO UPDATE SET amount = amount + excluded.amount`,
    ),
    sumBuckets: prepare('SELECT COALESCE(SUM(amount), 0) AS total FROM buckets WHERE line_key = ? AND start > ?'),
    deleteBuckets: prepare('DELETE FROM buckets WHERE line_key = ?'),
    reservationExists: prepare('SELECT 1 AS found FROM reservations WHERE id = ?'),
    selectReservation: prepare('SELECT id, lines, started_at FROM reservations WHERE id = ?'),
    insertReservation: prepare('INSERT INTO reservations (id, lines, started_at, expires_at) VALUES (?, ?, ?, ?)'),
    deleteReservation: prepare('DELETE FROM reservations WHERE id = ?'),
    selectExpiredLeases: prepare('SELECT id, lines FROM reservations WHERE expires_at <= ? ORDER BY expires_at'),
    hasExpiredLeases: prepare('SELECT 1 AS found FROM reservations WHERE expires_at <= ? LIMIT 1'),
    countOpenReservations: prepare('SELECT COUNT(*) AS count FROM reservations WHERE expires_at > ?'),
    markOnce: prepare(
      `INSERT INTO marks (key, expires_at) VALUES (?1, ?2)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
       WHERE marks.expires_at IS NOT NULL AND marks.expires_at <= ?3`,
    ),
    upsertApproval: prepare(
      `INSERT INTO approvals (id, status, created_at, expires_at, decided_at, record) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, created_at = excluded.created_at,
         expires_at = excluded.expires_at, decided_at = excluded.decided_at, record = excluded.record`,
    ),
    selectApproval: prepare('SELECT record FROM approvals WHERE id = ?'),
    updateApproval: prepare('UPDATE approvals SET status = ?, decided_at = ?, record = ? WHERE id = ?'),
    // Newest first; approvals created at the same time, newest inserted first.
    listApprovals: prepare('SELECT record FROM approvals ORDER BY created_at DESC, seq DESC'),
    listApprovalsByStatus: prepare('SELECT record FROM approvals WHERE status = ? ORDER BY created_at DESC, seq DESC'),
    selectAuditTip: prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'),
    insertAudit: prepare(
      'INSERT INTO audit (seq, type, at, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    readAudit: prepare(
      'SELECT seq, type, at, subject, data, prev_hash AS prevHash, hash FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?',
    ),
    sweepEndedLines: prepare('DELETE FROM lines WHERE reserved = 0 AND expires_at IS NOT NULL AND expires_at <= ?'),
    sweepIdleRollingLines: prepare(
      `DELETE FROM lines WHERE reserved = 0 AND window_ms IS NOT NULL AND touched_at <= ?1
         AND NOT EXISTS (SELECT 1 FROM buckets b WHERE b.line_key = lines.key AND b.start > ?2 - lines.window_ms - lines.bucket_ms)`,
    ),
    // Buckets out of their line's window, and those of lines that are gone or no longer rolling.
    sweepBuckets: prepare(
      `DELETE FROM buckets WHERE NOT EXISTS (SELECT 1 FROM lines l WHERE l.key = buckets.line_key
         AND l.window_ms IS NOT NULL AND buckets.start > ?1 - l.window_ms - l.bucket_ms)`,
    ),
    sweepMarks: prepare('DELETE FROM marks WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    sweepApprovals: prepare(
      `DELETE FROM approvals WHERE (status = 'pending' AND expires_at <= ?1)
         OR (status <> 'pending' AND COALESCE(decided_at, created_at) <= ?1)`,
    ),
  };
}
function normalizeRolling(rolling) {
  return { windowMs: rolling.windowMs, bucketMs: Math.max(1, rolling.bucketMs) };
}
function copyLine(line) {
  return { ...line, ...(line.rolling ? { rolling: { ...line.rolling } } : {}) };
}
function emptyState(line) {
  return { key: line.key, budget: line.budget, unit: line.unit, limit: line.limit, used: 0, reserved: 0 };
}
function isSqliteError(error) {
  return typeof error === 'object' && error !== null && error.code === 'ERR_SQLITE_ERROR';
}
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

// ../../../../../tmp/stores/basesrc/src/open-store.ts
var SCHEME = 'sqlite:';
var EXPECTED =
  'expected sqlite:<path>[?failMode=open|closed&busyTimeoutMs=<ms>], e.g. "sqlite:./.genops/state.db", "sqlite:/var/lib/genops/state.db" or "sqlite::memory:"';
function openStore(url, options = {}) {
  const { path, options: fromUrl } = parseSqliteUrl(url);
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== void 0));
  return new SqliteStore({ ...fromUrl, ...given, path });
}
function parseSqliteUrl(url) {
  if (!url.startsWith(SCHEME)) throw new Error(`genops: "${url}" is not a SQLite store URL (${EXPECTED})`);
  let path = url.slice(SCHEME.length);
  const queryAt = path.indexOf('?');
  const query = queryAt >= 0 ? new URLSearchParams(path.slice(queryAt + 1)) : void 0;
  if (queryAt >= 0) path = path.slice(0, queryAt);
  if (path.startsWith('//')) path = path.slice(2);
  if (path.trim() === '') throw new Error(`genops: the SQLite store URL "${url}" names no file (${EXPECTED})`);
  const options = {};
  for (const [name, value] of query ?? []) {
    if (name === 'failMode' && (value === 'open' || value === 'closed')) options.failMode = value;
    else if (name === 'busyTimeoutMs' && /^\d+$/.test(value)) options.busyTimeoutMs = Number(value);
    else
      throw new Error(
        `genops: the SQLite store URL "${url}" has an unknown or invalid parameter ${name}=${value} (${EXPECTED})`,
      );
  }
  return { path: path === ':memory:' ? path : resolve2(path), options };
}

// ../../../../../tmp/stores/basesrc/src/version.ts
var VERSION = typeof __PACKAGE_VERSION__ !== 'undefined' ? __PACKAGE_VERSION__ : '0.0.0-test';

export { openStore, parseSqliteUrl, SCHEMA_VERSION, SqliteStore, VERSION };
