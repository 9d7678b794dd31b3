import { GenOpsError } from './genops-error';

const name = 'GenOpsConfigError';

/** Invalid GenOps configuration. `path` names the option (e.g. `budgets[0].limit`). */
export class ConfigError extends GenOpsError {
  static readonly errorName: string = name;
  readonly path: string;
  readonly expected: string | undefined;
  readonly received: unknown;

  constructor({
    path,
    message,
    expected,
    received,
    cause,
  }: { path: string; message: string; expected?: string; received?: unknown; cause?: unknown }) {
    super({
      name,
      message: `Invalid GenOps option \`${path}\`: ${message}${expected ? ` (expected ${expected})` : ''}`,
      cause,
    });
    this.path = path;
    this.expected = expected;
    this.received = received;
  }
}
