// Per-record cost of the audit trail: what `AuditTrail.record()` + the memory store's `appendAudit` (+ the
// JSON Lines mirror, second case) cost per record, with the three records a governed call writes
// (reservation, decision, settlement). Measures CPU time (user + system) and wall time per record over
// several rounds and prints the medians.
//
//   node benchmarks/audit.mjs        # after a build
//   AUDIT_BENCH_CORE=/path/to/other/packages/core/dist/index.js node benchmarks/audit.mjs   # compare a build
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';

const { AuditTrail, MemoryStore } = process.env.AUDIT_BENCH_CORE
  ? await import(process.env.AUDIT_BENCH_CORE)
  : { ...(await import('@genops/core')), ...(await import('@genops/core/internal')) };

const CALLS = Number(process.env.AUDIT_BENCH_CALLS ?? 10_000);
const ROUNDS = Number(process.env.AUDIT_BENCH_ROUNDS ?? 7);

const SETTLEMENT = Object.freeze({
  actualUsd: 0.0013,
  reservedUsd: 0.0055,
  actualTokens: 160,
  incomplete: false,
  estimated: false,
  leaseOpen: true,
});

function entries(index, at) {
  const subject = `3f2c41aa-9d2e-4c7b-8a51-${String(index).padStart(12, '0')}`;
  return [
    {
      type: 'reservation',
      at,
      subject,
      data: {
        reservedUsd: 0.0055,
        lines: [
          { key: 'daily||2026-11-23', unit: 'usd', amount: 5500, enforce: true },
          { key: 'daily|team=search|2026-11-23', unit: 'usd', amount: 5500, enforce: true },
        ],
        leaseMs: 600_000,
      },
    },
    {
      type: 'decision',
      at,
      subject,
      data: {
        result: 'ALLOWED',
        reasonCode: undefined,
        policyVersion: '75ea2f05b623',
        provider: 'openai',
        model: 'gpt-4o',
        operation: 'chat',
        attribution: { team: 'search', user: 'u-1234' },
        reservedUsd: 0.0055,
      },
    },
    // As the governor writes a settlement: costs, tokens, and the three flags.
    { type: 'settlement', at, subject, data: { ...SETTLEMENT } },
  ];
}

async function round(file) {
  const trail = new AuditTrail({ store: new MemoryStore(Date.now, { maxAuditRecords: 10_000 }), file });
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const at = Date.now();
  for (let index = 0; index < CALLS; index++) {
    for (const entry of entries(index, at)) trail.record(entry);
    // Let the trail drain as the governor's calls would (one microtask turn per call is the hot path).
    if (index % 50 === 49) await trail.flush();
  }
  await trail.close();
  const wall = Number(process.hrtime.bigint() - start) / 1e3;
  const used = process.cpuUsage(cpu);
  const records = CALLS * 3;
  return { cpu: (used.user + used.system) / records, wall: wall / records };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const dir = mkdtempSync(join(tmpdir(), 'genops-audit-bench-'));
try {
  console.log(
    `audit trail, ${CALLS} calls × 3 records, ${ROUNDS} rounds (medians); ${os.cpus()[0]?.model}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}, Node ${process.version}`,
  );
  for (const [label, file] of [
    ['memory store', undefined],
    ['memory store + JSONL file', join(dir, 'audit.jsonl')],
  ]) {
    await round(file && `${file}.warmup`);
    const results = [];
    for (let index = 0; index < ROUNDS; index++) {
      if (file) rmSync(file, { force: true });
      results.push(await round(file));
    }
    console.log(
      `${label.padEnd(28)} ${median(results.map((r) => r.cpu)).toFixed(2)} µs CPU / record, ${median(results.map((r) => r.wall)).toFixed(2)} µs wall / record`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
