import { InvalidArgumentError } from 'commander';

/** Commander argument parser for options such as `--max-tokens 1000` and `-n 20`. */
export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number <= 0)
    throw new InvalidArgumentError('expected a positive whole number, e.g. 20');
  return number;
}

/** Commander collector for a repeatable `--attr key=value`. */
export function collectKeyValue(value: string, previous: readonly string[]): string[] {
  const index = value.indexOf('=');
  if (index <= 0) throw new InvalidArgumentError('expected key=value, e.g. environment=prod');
  return [...previous, value];
}
