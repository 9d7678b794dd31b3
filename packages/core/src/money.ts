// Money is held as integers: nano-USD (1e-9 USD) in ledgers, reservations, settlements and audit
// records; pico-USD inside a single cost computation. Prices are USD per 1M tokens, i.e. micro-USD per
// token, so scaling prices by 1e6 makes every price in the tables an integer number of pico-USD per
// token; a call's cost is rounded once, from pico- to nano-USD (half up for an actual cost, up for a
// reservation), and never again: a ledger is the exact sum of its calls' nano-USD costs.
//
// Why nano-USD in a JS number: every ledger value (a limit, used, reserved, one amount) stays an exact
// integer up to Number.MAX_SAFE_INTEGER = 2^53 - 1 nano-USD, $9,007,199.254740991, per budget line and
// period; Redis scripts compute in Lua doubles with the same bound, SQLite holds int64. Finer (pico) would
// cap a line at $9,007; BigInt would cost every store and every caller a conversion. Beyond the bound a
// store refuses the amount with a StoreAmountError (nothing changed) instead of rounding it.

/** Nano-USD in one USD. */
export const NANOS_PER_USD = 1_000_000_000;

/** The largest amount a ledger holds exactly, in nano-USD ($9,007,199.254740991): `Number.MAX_SAFE_INTEGER`. */
export const MAX_LEDGER_NANOS = Number.MAX_SAFE_INTEGER;

/** Converts a USD amount to integer nano-USD (rounded half away from zero). */
export function usdToNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD);
}

/**
 * Converts integer nano-USD to a USD number (span attributes, `status()`, display): the nearest double
 * to the exact decimal amount, so `usdToNanos(nanosToUsd(n)) === n` for every ledger amount.
 */
export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/** A price in USD per 1M tokens as integer pico-USD per token. */
export function pricePicos(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1_000_000);
}

/** Integer pico-USD to nano-USD, rounding up (reservations must never under-reserve). */
export function picosToNanosCeil(picos: number): number {
  return Math.ceil(picos / 1_000);
}

/** Integer pico-USD to nano-USD, rounding half up (actual cost). */
export function picosToNanosRound(picos: number): number {
  return Math.floor((picos + 500) / 1_000);
}

/**
 * `$12.34` style for messages and tables, from nano-USD: amounts under $0.01 keep every significant
 * nano-dollar (`$0.00000048`), others show cents.
 */
export function formatUsdNanos(nanos: number): string {
  if (nanos !== 0 && Math.abs(nanos) < 10_000_000) return formatUsdNanosExact(nanos);
  return `$${nanosToUsd(nanos).toFixed(2)}`;
}

/** `$0.010001`, `$0.01`, `$12.50`, `$0.00000048`: every nano-dollar shown, trailing zeros dropped (at least 2 decimals). */
export function formatUsdNanosExact(nanos: number): string {
  const sign = nanos < 0 ? '-' : '';
  const abs = Math.abs(Math.round(nanos));
  const whole = Math.floor(abs / NANOS_PER_USD);
  const fraction = String(abs % NANOS_PER_USD)
    .padStart(9, '0')
    .replace(/0{1,7}$/, '');
  return `${sign}$${whole}.${fraction.padEnd(2, '0')}`;
}

// ── Micro-USD forms, kept for callers written before nano-USD ledgers ──────────────────────────────

/** Converts a USD amount to integer micro-USD (rounded half away from zero). @deprecated Use {@link usdToNanos}. */
export function usdToMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

/** Converts integer micro-USD to a USD number. @deprecated Use {@link nanosToUsd}. */
export function microsToUsd(micros: number): number {
  return micros / 1_000_000;
}

/** Integer pico-USD to micro-USD, rounding up. @deprecated Use {@link picosToNanosCeil}. */
export function picosToMicrosCeil(picos: number): number {
  return Math.ceil(picos / 1_000_000);
}

/** Integer pico-USD to micro-USD, rounding half up. @deprecated Use {@link picosToNanosRound}. */
export function picosToMicrosRound(picos: number): number {
  return Math.floor((picos + 500_000) / 1_000_000);
}

/** `$12.34` style from micro-USD. @deprecated Use {@link formatUsdNanos} (ledgers are nano-USD). */
export function formatUsd(micros: number): string {
  const usd = microsToUsd(micros);
  if (micros !== 0 && Math.abs(micros) < 10_000) return `$${usd.toFixed(6)}`;
  return `$${usd.toFixed(2)}`;
}

/** Every micro-dollar shown, from micro-USD. @deprecated Use {@link formatUsdNanosExact} (ledgers are nano-USD). */
export function formatUsdExact(micros: number): string {
  return formatUsdNanosExact(micros * 1_000);
}
