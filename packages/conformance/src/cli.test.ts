import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedSpan, compliantSet, toOtlpDocument } from './__fixtures__/spans';

// Runs the built CLI (dist/cli.js) as a real child process: build first (the root test command does).
const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], stdin?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cliPath, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

describe('genops-conformance CLI (dist/cli.js)', () => {
  let directory: string;
  let compliantFile: string;
  let violatingFile: string;

  beforeAll(async () => {
    if (!existsSync(cliPath)) {
      throw new Error(`${cliPath} is missing: run \`pnpm --filter @genops/conformance build\` first`);
    }
    directory = await mkdtemp(join(tmpdir(), 'genops-conformance-'));
    compliantFile = join(directory, 'compliant.json');
    violatingFile = join(directory, 'violating.jsonl');
    await writeFile(compliantFile, JSON.stringify(toOtlpDocument(compliantSet())));
    const broken = blockedSpan();
    delete broken.attributes['genops.team'];
    broken.attributes['genops.policy.reason_code'] = 'OVER_BUDGET';
    broken.events[0]!.attributes['genops.policy.reason_code'] = 'OVER_BUDGET';
    // JSON lines, as the collector's file exporter writes: one compliant document, one broken.
    const lines = [toOtlpDocument(compliantSet()), toOtlpDocument([broken])].map((document) =>
      JSON.stringify(document),
    );
    await writeFile(violatingFile, `${lines.join('\n')}\n`);
  });

  afterAll(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('exits 0 and says compliant for a compliant export', async () => {
    const result = await runCli([compliantFile]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Checked 4 of 5 spans as AI Workload Units');
    expect(result.stdout).toContain('COMPLIANT: every AI Workload Unit meets the specification.');
  });

  it('exits 1 and lists each violation with rule, span and message', async () => {
    const result = await runCli([violatingFile]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('NOT COMPLIANT: 3 violations');
    expect(result.stdout).toMatch(
      /\[required-attribute\] "chat gpt-4o" \(span [0-9a-f]{16}\): missing required attribute genops\.team/,
    );
    expect(result.stdout).toContain('[reason-code] "chat gpt-4o"');
    expect(result.stdout).toContain('[event-policy-evaluated] "chat gpt-4o"');
  });

  it('prints the report as JSON with --json', async () => {
    const result = await runCli([violatingFile, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ specVersion: '0.1.0', spans: 6, checked: 5, compliant: false });
    expect(report.violations.map((violation: { rule: string }) => violation.rule)).toEqual([
      'required-attribute',
      'reason-code',
      'event-policy-evaluated',
    ]);
    const compliant = await runCli(['--json', compliantFile]);
    expect(compliant.code).toBe(0);
    expect(JSON.parse(compliant.stdout)).toMatchObject({ compliant: true, checked: 4, violations: [] });
  });

  it('reads stdin with -', async () => {
    const result = await runCli(['-'], JSON.stringify(toOtlpDocument(compliantSet())));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('conformance: stdin');
  });

  it('exits 1 when spans carry no genops.* attribute at all', async () => {
    const document = toOtlpDocument([{ name: 'GET', attributes: { 'http.method': 'GET' }, events: [] }]);
    const result = await runCli(['-'], JSON.stringify(document));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('no span carries a genops.* attribute');
  });

  it.each([
    ['a missing file', ['does-not-exist.json'], '', /cannot read does-not-exist\.json \(ENOENT: no such file\)/],
    ['text that is not JSON', ['-'], 'hello', /stdin: the input is not JSON .*expected an OTLP\/JSON trace export/],
    ['JSON without spans', ['-'], '{"resourceSpans":[]}', /stdin: no spans found; expected an OTLP\/JSON trace export/],
    ['no arguments', [], '', /missing the spans file[\s\S]*Usage: genops-conformance/],
    ['an unknown option', ['--strict', 'x.json'], '', /unknown option --strict/],
  ])('exits 2 on %s, saying what is wrong and what is expected', async (_label, args, stdin, message) => {
    const result = await runCli(args, stdin);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('prints help and version', async () => {
    expect((await runCli(['--help'])).stdout).toContain('Usage: genops-conformance <spans.json | -> [--json]');
    expect((await runCli(['--version'])).stdout.trim()).toBe('0.1.0');
  });
});
