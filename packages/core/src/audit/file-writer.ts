import { diag } from '@opentelemetry/api';
import { writeAuditText } from './jsonl';

/** Options of {@link AuditFileWriter}. */
export interface AuditFileWriterOptions {
  path: string;
  fsync: boolean;
  /** Longest wait for one write (mkdir + open + write + fsync + close) before it is reported stuck. */
  timeoutMs: number;
  /** Most records waiting for the file; beyond it the oldest waiting ones are left out of the file. */
  maxQueued: number;
}

interface Chunk {
  text: string;
  first: number;
  last: number;
  count: number;
}

/**
 * Mirrors appended records to the JSON Lines file on its own queue, so a slow, failing or stuck file
 * never holds up the store's chain: lines are written in order, one write at a time. A write that has not
 * settled after `timeoutMs` (a hung disk or network mount) is reported; nothing else is written until it
 * settles (no pile of stuck operations in the thread pool), later lines wait in a bounded queue, and a
 * flush no longer waits for it. What cannot be written is reported with its seqs; the file then lacks
 * those records (`genops audit verify` reports them `missing`); the store has them.
 */
export class AuditFileWriter {
  private readonly options: AuditFileWriterOptions;
  private queue: Chunk[] = [];
  private queued = 0;
  private writing = false;
  /** The write in flight has outlived `timeoutMs`. */
  private stuck = false;
  private idle: Array<(settled: boolean) => void> = [];

  constructor(options: AuditFileWriterOptions) {
    this.options = options;
  }

  /** Queues lines (each with its newline) of records `first`–`last`. Never throws, never waits. */
  write(text: string, first: number, last: number, count: number): void {
    this.queue.push({ text, first, last, count });
    this.queued += count;
    while (this.queued > this.options.maxQueued && this.queue.length > 1) {
      const dropped = this.queue.shift() as Chunk;
      this.queued -= dropped.count;
      diag.error(
        `genops: the audit file ${this.options.path} is not keeping up (${this.stuck ? 'a write is stuck' : 'writes are slow'}): records ${dropped.first}–${dropped.last} are left out of the file; the store has them`,
      );
    }
    if (!this.writing) void this.run();
  }

  /**
   * Resolves once every line queued so far is written or given up on, or after `timeoutMs` (a stuck
   * file); `true` when everything was settled. Never rejects.
   */
  flush(timeoutMs = this.options.timeoutMs): Promise<boolean> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve(true);
    if (this.stuck) {
      this.reportStuckFlush();
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (settled: boolean): void => {
        if (timer) clearTimeout(timer);
        this.idle = this.idle.filter((waiter) => waiter !== onIdle);
        resolve(settled);
      };
      const onIdle = (settled: boolean): void => done(settled);
      this.idle.push(onIdle);
      timer = setTimeout(() => {
        this.reportStuckFlush();
        done(false);
      }, timeoutMs);
      timer.unref?.();
    });
  }

  private reportStuckFlush(): void {
    diag.error(
      `genops: the audit file ${this.options.path} did not settle within ${this.options.timeoutMs} ms; ${this.queued} records still wait for it (the store has them)`,
    );
  }

  private async run(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const chunks = this.queue;
        this.queue = [];
        let text = '';
        for (const chunk of chunks) text += chunk.text;
        const first = chunks[0]?.first;
        const last = chunks[chunks.length - 1]?.last;
        const write = writeAuditText(this.options.path, text, this.options.fsync);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs);
          timer.unref?.();
        });
        try {
          const outcome = await Promise.race([write.then(() => 'written' as const), timedOut]);
          if (outcome === 'timeout') {
            this.stuck = true;
            diag.error(
              `genops: writing audit records ${first}–${last} to ${this.options.path} has not finished after ${this.options.timeoutMs} ms (a hung disk or network mount?); the store has them, and later records wait for the file (at most ${this.options.maxQueued})`,
            );
            this.wakeIdle(false);
            await write.then(
              () =>
                diag.info(`genops: the stuck write of audit records ${first}–${last} to ${this.options.path} finished`),
              (error: unknown) =>
                diag.error(
                  `genops: the stuck write of audit records ${first}–${last} to ${this.options.path} failed`,
                  error,
                ),
            );
          }
        } catch (error) {
          diag.error(
            `genops: could not write audit records ${first}–${last} to ${this.options.path}; the file will lack them`,
            error,
          );
        } finally {
          if (timer) clearTimeout(timer);
          this.stuck = false;
        }
        for (const chunk of chunks) this.queued -= chunk.count;
      }
    } finally {
      this.writing = false;
      this.wakeIdle(true);
    }
  }

  private wakeIdle(settled: boolean): void {
    const waiters = this.idle;
    this.idle = [];
    for (const waiter of waiters) waiter(settled);
  }
}
