// Statistics and formatting shared by the benchmarks.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GIB = 1024 ** 3;

/** Nearest-rank percentile of an ascending array; `fraction` in [0, 1]. */
export function percentile(sorted, fraction) {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index];
}

export function summarise(values) {
  const sorted = Float64Array.from(values).sort();
  return { count: sorted.length, median: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

export function median(values) {
  return summarise(values).median;
}

export const thousands = (value) => Math.round(value).toLocaleString('en-US');

/** A Markdown table with padded columns, readable as plain text too. */
export function table(head, rows) {
  const widths = head.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column]).length)));
  const line = (cells) => `| ${cells.map((cell, column) => String(cell).padEnd(widths[column])).join(' | ')} |`;
  return [line(head), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / GIB),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

export function machineLine(host) {
  return `${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB RAM, Node ${host.node}, ${host.platform}`;
}

/** The commit measured, flagged when the working tree has changes on top of it. */
export function revision() {
  const git = (...args) =>
    execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** A positive integer from the environment variable `name`, or `fallback` when it is unset. */
export function positiveIntFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** The value after the command-line flag `name` (`--json out.json`), if given. */
export function argument(name) {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

/** The 1-, 5- and 15-minute load averages, as `os.loadavg()` gives them, for the report. */
export const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

export const ms = (value) => value.toFixed(3);
export const signedUs = (valueMs) => `${valueMs >= 0 ? '+' : ''}${Math.round(valueMs * 1000)}`;

/** How this run was started: the `settings` environment variables that are set, and the script's arguments. */
export function commandLine(script, settings) {
  const set = settings
    .filter((name) => process.env[name])
    .map((name) => `${name}=${process.env[name]} `)
    .join('');
  const args = process.argv.slice(2).join(' ');
  return `${set}node ${script}${args ? ` ${args}` : ''}`;
}

/** Replaces what stands between the markers `start` and `end` of the file `path` with `text`. */
export function writeBetweenMarkers(path, start, end, text) {
  const doc = readFileSync(path, 'utf8');
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from === -1 || to < from) throw new Error(`${path} has no ${start} … ${end} block to write the figures into`);
  writeFileSync(path, `${doc.slice(0, from + start.length)}\n${text}\n${doc.slice(to)}`);
}
