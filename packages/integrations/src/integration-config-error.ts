const MARKER = Symbol.for('genops.integrations.IntegrationConfigError');

/**
 * An integration was set up without something it needs (an API key, a project): says which option or
 * environment variable is missing and how to give it. Thrown when the integration is created, never
 * while the app runs.
 */
export class IntegrationConfigError extends Error {
  readonly [MARKER] = true;
  override readonly name = 'IntegrationConfigError';
  /** The integration, e.g. `weave`. */
  readonly integration: string;
  /** The option (and environment variable) that is missing or wrong. */
  readonly option: string;

  constructor(options: { integration: string; option: string; message: string }) {
    super(`${options.integration}: ${options.message}`);
    this.integration = options.integration;
    this.option = options.option;
  }

  /** True for an `IntegrationConfigError` of any copy of this package. */
  static isInstance(error: unknown): error is IntegrationConfigError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
