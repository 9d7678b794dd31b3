// Money is held as integers: micro-USD for ledgers, pico-USD inside a single cost computation.
// Prices are USD per 1M tokens, i.e. micro-USD per token, so tokens × price is micro-USD directly;
// scaling prices by 1e6 first makes every price in the tables an integer number of pico-USD.

/** Converts a USD amount to integer micro-USD (rounded half away from zero). */
export function usdToMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}

/** Converts integer micro-USD to a USD number (for span attributes and display). */
export function microsToUsd(micros: number): number {
  return micros / 1_000_000;
}

/** A price in USD per 1M tokens as integer pico-USD per token. */
export function pricePicos(usdPerMillion: number): number {
  return Math.round(usdPerMillion * 1_000_000);
}

/** Integer pico-USD to micro-USD, rounding up (reservations must never under-reserve). */
export function picosToMicrosCeil(picos: number): number {
  return Math.ceil(picos / 1_000_000);
}

/** Integer pico-USD to micro-USD, rounding half up (actual cost). */
export function picosToMicrosRound(picos: number): number {
  return Math.floor((picos + 500_000) / 1_000_000);
}

/** `$12.34` style for messages and tables. Micro-dollar precision is kept when it matters. */
export function formatUsd(micros: number): string {
  const usd = microsToUsd(micros);
  if (micros !== 0 && Math.abs(micros) < 10_000) return `$${usd.toFixed(6)}`;
  return `$${usd.toFixed(2)}`;
}

/** `$0.010001`, `$0.01`, `$12.50`: every micro-dollar shown, trailing zeros dropped (at least 2 decimals). */
export function formatUsdExact(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1_000_000);
  const fraction = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `${sign}$${whole}.${fraction.padEnd(2, '0')}`;
}
