import { readFile } from 'node:fs/promises';
import { CHECKED_SPEC_VERSION, checkCompliance } from './check';
import { ConformanceInputError } from './conformance-input-error';
import { fromOtlpJson, OTLP_JSON_FORMAT_HINT } from './from-otlp';
import type { ComplianceReport } from './types';
import { VERSION } from './version';

const USAGE = `Usage: genops-conformance <spans.json | -> [--json]

Checks exported OpenTelemetry spans against the GenOps Governance Specification v${CHECKED_SPEC_VERSION}.

  <spans.json>  ${OTLP_JSON_FORMAT_HINT}.
                Use - to read from stdin.
  --json        print the report as JSON instead of a summary
  --help        show this help
  --version     print the checker's version

Exit codes: 0 compliant, 1 not compliant, 2 bad input.`;

/** Exit codes of the CLI. */
const EXIT_COMPLIANT = 0;
const EXIT_NOT_COMPLIANT = 1;
const EXIT_BAD_INPUT = 2;

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
};

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let input: string | undefined;
  let json = false;
  for (const argument of argv) {
    if (argument === '--json') json = true;
    else if (argument === '--help' || argument === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return EXIT_COMPLIANT;
    } else if (argument === '--version' || argument === '-v') {
      process.stdout.write(`${VERSION}\n`);
      return EXIT_COMPLIANT;
    } else if (argument.startsWith('-') && argument !== '-') throw new UsageError(`unknown option ${argument}`);
    else if (input === undefined) input = argument;
    else throw new UsageError(`expected one input file, got ${input} and ${argument}`);
  }
  if (input === undefined) throw new UsageError('missing the spans file');

  const source = input === '-' ? 'stdin' : input;
  const text = await readInput(input);
  let spans: ReturnType<typeof fromOtlpJson>;
  try {
    spans = fromOtlpJson(text);
  } catch (error) {
    if (ConformanceInputError.isInstance(error)) throw new ConformanceInputError(`${source}: ${error.message}`);
    throw error;
  }
  if (spans.length === 0) {
    throw new ConformanceInputError(`${source}: no spans found; expected ${OTLP_JSON_FORMAT_HINT}`);
  }

  const report = checkCompliance(spans);
  // A file with spans but no AI Workload Unit among them is telemetry from a runtime that emits no GenOps data.
  const compliant = report.compliant && report.checked > 0;
  if (json) {
    const output = { specVersion: CHECKED_SPEC_VERSION, input: source, spans: spans.length, ...report, compliant };
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } else {
    process.stdout.write(formatSummary(source, spans.length, report));
  }
  return compliant ? EXIT_COMPLIANT : EXIT_NOT_COMPLIANT;
}

async function readInput(input: string): Promise<string> {
  try {
    if (input === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(input, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code ? `${code}: ${READ_ERRORS[code] ?? (error as Error).message}` : (error as Error).message;
    throw new ConformanceInputError(`cannot read ${input === '-' ? 'stdin' : input} (${reason})`);
  }
}

function formatSummary(source: string, total: number, report: ComplianceReport): string {
  const lines = [
    `GenOps Governance Specification v${CHECKED_SPEC_VERSION} conformance: ${source}`,
    `Checked ${report.checked} of ${total} span${total === 1 ? '' : 's'} as AI Workload Units (spans with genops.* attributes).`,
  ];
  if (report.checked === 0) {
    lines.push('NOT COMPLIANT: no span carries a genops.* attribute, so there is nothing GenOps-compliant to check.');
  } else if (report.compliant) {
    lines.push('COMPLIANT: every AI Workload Unit meets the specification.');
  } else {
    const count = report.violations.length;
    lines.push(`NOT COMPLIANT: ${count} violation${count === 1 ? '' : 's'}`);
    for (const violation of report.violations) {
      const span = violation.spanId ? `"${violation.span}" (span ${violation.spanId})` : `"${violation.span}"`;
      lines.push(`  [${violation.rule}] ${span}: ${violation.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`genops-conformance: ${error.message}\n\n${USAGE}\n`);
    } else if (ConformanceInputError.isInstance(error)) {
      process.stderr.write(`genops-conformance: ${error.message}\n`);
    } else {
      process.stderr.write(`genops-conformance: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    }
    process.exitCode = EXIT_BAD_INPUT;
  },
);
