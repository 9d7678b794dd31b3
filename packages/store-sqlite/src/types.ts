/** Options for {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * The database file, shared by every process on the host that uses the same path (`:memory:` for a
   * private in-memory database). Its parent directory is created when missing.
   */
  path: string;
  /**
   * Clock (epoch ms), called every time the store needs the time: leases, calendar periods, rolling
   * windows, `markOnce` expiry and `decidedAt` read it. Default `Date.now`. `waitForApproval` timeouts
   * and polling use real timers.
   */
  now?: () => number;
  /**
   * What GenOps does when this store cannot be used (the file is locked for longer than
   * {@link busyTimeoutMs}, the disk is full, ...): `closed` (default) denies the call; `open` lets it run
   * without a reservation and replays its settlement later. The store only carries the setting; the
   * governor in `@genops/core` acts on it.
   */
  failMode?: 'closed' | 'open';
  /** How long an operation waits for another process's write to finish before failing (default 5,000 ms). */
  busyTimeoutMs?: number;
  /**
   * How often `waitForApproval` re-reads a pending approval, to see decisions made by other processes
   * (default 200 ms). Decisions made through the same store instance wake waiters at once.
   */
  approvalPollMs?: number;
  /**
   * How long past state is kept before a sweep (at most once a minute per instance) drops it (default one
   * day): counters of ended periods, idle rolling lines, expired `markOnce` keys, decided approvals and
   * pending approvals past their `expiresAt`. The audit chain is never trimmed.
   */
  retentionMs?: number;
  /**
   * The store checks that its file is still the one it opened (not deleted or replaced: same device and
   * inode at the path) before an operation, at most once per this many milliseconds (0 = before every
   * operation). Once the file is gone or replaced every operation fails with a `StoreIdentityError`.
   * Default: the file is watched (inotify on Linux) and the first operation after any change to it
   * (a deletion, a rename, another file moved over the path, a checkpoint's write) checks the path, and
   * at most every 100 ms otherwise, so a governed call pays no `stat`; where the file cannot be watched,
   * at most once per millisecond.
   */
  identityCheckMs?: number;
}

/** Options for {@link openStore}: those of {@link SqliteStoreOptions} except the path, which the URL gives. */
export type OpenStoreOptions = Omit<SqliteStoreOptions, 'path'>;
