const marker = Symbol.for('genops.conformance.error.input');

/** The input is not telemetry the checker can read (not JSON, not OTLP/JSON, wrong shape). */
export class ConformanceInputError extends Error {
  readonly [marker] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConformanceInputError';
  }

  static isInstance(error: unknown): error is ConformanceInputError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
