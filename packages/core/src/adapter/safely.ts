import { diag } from '@opentelemetry/api';

/**
 * Runs `fn` and returns its result; an error it throws is logged through the OpenTelemetry diag logger
 * and `undefined` is returned instead. For telemetry and user hooks: anything that fails *inside
 * GenOps* must never break the host call.
 *
 * @example
 * safely(() => span.setAttribute('genops.framework.step', step), 'llamaindex step attribute');
 */
export function safely<T>(fn: () => T, what = 'telemetry or hook'): T | undefined {
  try {
    return fn();
  } catch (error) {
    reportIgnored(error, what);
    return undefined;
  }
}

/** What {@link safely} does with an error: a diag warning, for code that catches inline (no closure). */
export function reportIgnored(error: unknown, what = 'telemetry or hook'): void {
  diag.warn(`genops: ${what} error (ignored)`, error);
}
