import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { diag } from '@opentelemetry/api';
import type { BudgetLine, GovernanceStore, SettleAmounts } from './types';

/** A settlement the store could not take when the call ended. */
export interface JournaledSettlement {
  id: string;
  actual: SettleAmounts;
  lines: BudgetLine[];
  at: number;
  /**
   * The unit of the USD amounts: `nano` (nano-USD). Written on every entry; an entry without it was
   * written before ledgers counted nano-USD and holds micro-USD, scaled on load.
   */
  money?: 'nano';
}

/** A journal line as read: one written in micro-USD (no `money` marker) is brought to nano-USD. */
export function journalEntryInNanos(entry: JournaledSettlement): JournaledSettlement {
  if (entry.money === 'nano') return entry;
  const actual = { ...entry.actual };
  if (typeof actual.USD === 'number') actual.USD *= 1_000;
  const lines = (entry.lines ?? []).map((line) =>
    line.unit === 'USD' ? { ...line, amount: line.amount * 1_000, limit: line.limit * 1_000 } : line,
  );
  return { ...entry, actual, lines, money: 'nano' };
}

/**
 * Settlements that could not reach the store (it was down when the call ended, or the call ran
 * fail-open without a reservation). They are replayed, oldest first, once the store answers again:
 * `settle(id, actual, lines)` on a reservation the store no longer holds commits the actual amounts to
 * the lines, so what a call cost is never lost. With a `file`, the journal survives a restart.
 */
export class SettlementJournal {
  private readonly pending: JournaledSettlement[] = [];
  private timer: NodeJS.Timeout | undefined;
  private replaying: Promise<void> | undefined;

  constructor(
    private readonly store: GovernanceStore,
    private readonly options: { file?: string; retryMs?: number } = {},
  ) {
    if (options.file) this.load(options.file);
  }

  get size(): number {
    return this.pending.length;
  }

  add(settlement: JournaledSettlement): void {
    const entry: JournaledSettlement = { ...settlement, money: 'nano' };
    this.pending.push(entry);
    if (this.options.file) {
      try {
        mkdirSync(dirname(this.options.file), { recursive: true });
        appendFileSync(this.options.file, `${JSON.stringify(entry)}\n`);
      } catch (error) {
        diag.error(`genops: could not write the settlement journal ${this.options.file}`, error);
      }
    }
    this.schedule();
  }

  /** Replays what it can now; resolves when the store took everything or refused again. */
  replay(): Promise<void> {
    this.replaying ??= this.drain().finally(() => {
      this.replaying = undefined;
    });
    return this.replaying;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      try {
        await this.store.settle(next.id, next.actual, next.lines);
      } catch {
        this.schedule();
        return;
      }
      this.pending.shift();
      this.rewrite();
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.replay();
    }, this.options.retryMs ?? 1_000);
    this.timer.unref();
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        this.pending.push(journalEntryInNanos(JSON.parse(line) as JournaledSettlement));
      } catch {
        diag.error(`genops: skipped a malformed line in the settlement journal ${file}`);
      }
    }
    if (this.pending.length > 0) this.schedule();
  }

  private rewrite(): void {
    const file = this.options.file;
    if (!file) return;
    try {
      const temp = `${file}.tmp`;
      writeFileSync(temp, this.pending.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
      renameSync(temp, file);
    } catch (error) {
      diag.error(`genops: could not rewrite the settlement journal ${file}`, error);
    }
  }
}
