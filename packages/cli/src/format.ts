import { usdToNanos } from '@genops/core';
import Table from 'cli-table3';
import type { Colors } from './io';

/** `1,234` */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * `$1,234.567890`: integer nano-USD (the ledgers' unit) to the micro-dollar, or to the nano-dollar when
 * the amount has one (`$0.000000480`): cost estimates must not hide their precision, and a sum of tiny
 * calls is shown exactly. With `trim`, trailing zeros go down to cents: `$500.00`, `$0.0125`.
 */
export function formatNanos(nanos: number, trim = false): string {
  const sign = nanos < 0 ? '-' : '';
  const absolute = Math.abs(Math.round(nanos));
  const dollars = Math.floor(absolute / 1_000_000_000);
  let fraction = String(absolute % 1_000_000_000).padStart(9, '0');
  fraction = trim ? fraction.replace(/0{1,7}$/, '') : fraction.replace(/000$/, '');
  return `${sign}$${formatCount(dollars)}.${fraction}`;
}

/** `$1,234.567890` from integer micro-USD (what `genops report` sums). */
export function formatMicros(micros: number, trim = false): string {
  return formatNanos(Math.round(micros) * 1_000, trim);
}

/** A USD amount as audit records and status report it (a float) to the nano-dollar. */
export function formatUsdNumber(usd: number, trim = false): string {
  return formatNanos(usdToNanos(usd), trim);
}

/** `$50` or `$12.5`: a configured threshold, written as the person wrote it. */
export function formatThreshold(usd: number): string {
  return `$${usd}`;
}

/** An amount in a budget line's unit: nano-USD as dollars, tokens and requests as counts. */
export function formatAmount(amount: number, unit: string, trim = false): string {
  if (unit === 'USD') return formatNanos(amount, trim);
  return `${formatCount(amount)} ${amount === 1 ? unit.replace(/s$/, '') : unit}`;
}

/** `ab12cd34…` */
export function shortHash(hash: string, length = 12): string {
  return hash.length > length ? `${hash.slice(0, length)}…` : hash;
}

/** A long id (UUID) cut to 8 characters, a short one whole. */
export function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…` : id;
}

/** `1 rule`, `3 budgets` */
export function plural(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * A bordered table (cli-table3) with bold headers; colours come from `colors`, never from cli-table3.
 * With `wrap` (a terminal's width), the last column wraps so the table fits; without it, every row
 * stays on one line (piped output remains greppable).
 */
export function renderTable(
  colors: Colors,
  head: readonly string[],
  rows: readonly (readonly string[])[],
  wrap?: number,
): string {
  const options: ConstructorParameters<typeof Table>[0] = {
    head: head.map((cell) => colors.bold(cell)),
    style: { head: [], border: [], compact: true },
  };
  if (wrap !== undefined && head.length > 0) {
    // Widths of every column but the last as they are (plus padding), and what is left for the last one.
    const widths = head.map(
      (cell, index) => Math.max(visibleLength(cell), ...rows.map((row) => visibleLength(row[index] ?? ''))) + 2,
    );
    const fixed = widths.slice(0, -1).reduce((sum, width) => sum + width, 0) + head.length + 1;
    const last = Math.max(24, wrap - fixed);
    if (widths[widths.length - 1]! > last) {
      options.colWidths = [...widths.slice(0, -1), last];
      options.wordWrap = true;
    }
  }
  const table = new Table(options);
  for (const row of rows) table.push([...row]);
  return table.toString();
}

/** Length of a string as a terminal shows it (ANSI colour codes take no room). */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** Columns padded to fixed widths, no borders: for streams of lines (`audit tail --follow`). Cells may be coloured. */
export function padColumns(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => {
      const width = widths[index];
      return width === undefined ? cell : cell + ' '.repeat(Math.max(0, width - visibleLength(cell)));
    })
    .join('  ')
    .trimEnd();
}
