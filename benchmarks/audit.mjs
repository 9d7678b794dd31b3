// Per-call cost of the audit trail: what `AuditTrail.record()` + the memory store's `appendAudit` (+ the
// JSON Lines mirror, second case; in batches, as GenOps.init() sets the trail up, third case) cost for the
// two records a governed call writes (its decision, with the reservation folded in, and its settlement),
// made as the recorder makes them. Measures CPU time (user +
// system), wall time and heap allocated per call over several rounds and prints the medians.
//
//   node benchmarks/audit.mjs        # after a build
//   AUDIT_BENCH_CORE=/path/to/other/packages/core/dist node benchmarks/audit.mjs   # compare a build
//       (a build without the call-record factories gets the records as plain entries, as its recorder wrote them)
//   AUDIT_BENCH_FILE=0 node benchmarks/audit.mjs   # the memory store only
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countAllocation } from './lib/allocation.mjs';

const core = process.env.AUDIT_BENCH_CORE
  ? {
      ...(await import(`${process.env.AUDIT_BENCH_CORE}/index.js`)),
      ...(await import(`${process.env.AUDIT_BENCH_CORE}/internal/index.js`)),
    }
  : { ...(await import('@genops/core')), ...(await import('@genops/core/internal')) };
const { AuditTrail, MemoryStore } = core;
const decisionEntry = core.decisionAuditEntry ?? ((at, subject, data) => ({ type: 'decision', at, subject, data }));
const settlementEntry =
  core.settlementAuditEntry ?? ((at, subject, data) => ({ type: 'settlement', at, subject, data }));

const CALLS = Number(process.env.AUDIT_BENCH_CALLS ?? 10_000);
const ROUNDS = Number(process.env.AUDIT_BENCH_ROUNDS ?? 7);

// Calls share their (frozen, sorted) attribution, as the recorder's are.
const ATTRIBUTION = Object.freeze({ environment: 'benchmark', project: 'overhead', team: 'bench' });
const RESERVED_LINES = [
  { amount: 66_600, enforce: true, key: 'daily||2026-12-06', unit: 'USD' },
  { amount: 66_600, enforce: true, key: 'per-team|team=bench|2026-12-06', unit: 'USD' },
];

/** The id of call `index`. */
function subjectOf(index) {
  return `3f2c41aa-9d2e-4c7b-8a51-${String(index).padStart(12, '0')}`;
}

/** The decision of call `index`, as the recorder writes it (keys in sorted order). */
function decide(trail, index, at) {
  trail.record(
    decisionEntry(at, subjectOf(index), {
      approval: undefined,
      attribution: ATTRIBUTION,
      downgradedFrom: undefined,
      leaseMs: 600_000,
      lines: RESERVED_LINES.map((line) => ({
        amount: line.amount,
        enforce: line.enforce,
        key: line.key,
        unit: line.unit,
      })),
      model: 'gpt-4o-mini',
      operation: 'chat',
      policyVersion: 'aa5ad269dfed',
      provider: 'openai',
      reasonCode: undefined,
      redactions: undefined,
      reservedNanos: 66_600,
      reservedUsd: 0.0000666,
      result: 'ALLOWED',
      rule: undefined,
      shadow: undefined,
      tool: undefined,
    }),
  );
}

/** The settlement of call `index`. */
function settle(trail, index, at) {
  trail.record(
    settlementEntry(at + 1, subjectOf(index), {
      actualNanos: 9_000 + index,
      actualTokens: 30,
      actualUsd: (9_000 + index) / 1e9,
      estimated: false,
      incomplete: false,
      leaseOpen: true,
      reservedNanos: 66_600,
      reservedUsd: 0.0000666,
    }),
  );
}

async function round(file, options = {}) {
  // The memory store keeps its default 10,000 records, so what it retains is part of the figure.
  const trail = new AuditTrail({ store: new MemoryStore(Date.now), file, ...options });
  const allocation = countAllocation();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const at = Date.now();
  for (let index = 0; index < CALLS; index++) {
    // Each record in a turn of its own, as a governed call writes them (the trail drains on a microtask).
    decide(trail, index, at);
    await undefined;
    settle(trail, index, at);
    await undefined;
  }
  await trail.close();
  const wall = Number(process.hrtime.bigint() - start) / 1e3;
  const used = process.cpuUsage(cpu);
  const { bytes } = allocation.stop();
  return {
    cpu: (used.user + used.system) / CALLS,
    wall: wall / CALLS,
    kib: bytes / CALLS / 1024,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const dir = mkdtempSync(join(tmpdir(), 'genops-audit-bench-'));
try {
  console.log(
    `audit trail, ${CALLS} calls × 2 records (decision, settlement), ${ROUNDS} rounds (medians); ${os.cpus()[0]?.model}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}, Node ${process.version}`,
  );
  const cases = [
    ['memory store', undefined],
    ['memory store + JSONL file', join(dir, 'audit.jsonl')],
    // As GenOps.init() sets the trail up (every store): appended every 10 ms, at once when 100 wait. The
    // loop records without a timer turn, so these are batches of 100.
    ['memory store, batched', undefined, { flushIntervalMs: 10 }],
  ];
  // AUDIT_BENCH_FILE=0: the memory store only (e.g. under a profiler or an instruction counter).
  for (const [label, file, options] of process.env.AUDIT_BENCH_FILE === '0'
    ? cases.filter(([, file]) => file === undefined)
    : cases) {
    await round(file && `${file}.warmup`, options);
    const results = [];
    for (let index = 0; index < ROUNDS; index++) {
      if (file) rmSync(file, { force: true });
      results.push(await round(file, options));
    }
    console.log(
      `${label.padEnd(28)} ${median(results.map((r) => r.cpu)).toFixed(2)} µs CPU / call, ${median(results.map((r) => r.wall)).toFixed(2)} µs wall / call, ${median(results.map((r) => r.kib)).toFixed(2)} KiB allocated / call`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
