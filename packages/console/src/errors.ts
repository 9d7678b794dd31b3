import { ConfigError } from '@genops/core';

/** A bad console option: names the option, what was expected and what was given. */
export function optionError(path: string, message: string, expected: string, received: unknown): ConfigError {
  return new ConfigError({ path, message, expected, received: describe(received) });
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}
