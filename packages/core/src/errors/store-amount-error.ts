import { GenOpsError } from './genops-error';

const name = 'StoreAmountError';

/**
 * A governance store refused an amount that is not a number from 0 to `Number.MAX_SAFE_INTEGER`
 * (`NaN`, `Infinity`, a negative number, one too large to count exactly, or not a number): a
 * reservation's line amount, a settlement's actual amount, or a ledger total that would pass the bound.
 * Nothing was changed. Such an amount comes from bad usage or price data upstream; a ledger never holds one.
 */
export class StoreAmountError extends GenOpsError {
  static readonly errorName: string = name;
  /** The store's kind (`memory`, `sqlite`, `redis`). */
  readonly store: string;
  /** `reserve`, `settle` or `migrate`. */
  readonly operation: string;
  /** The reservation (or migration) refused. */
  readonly id: string;
  /** Which amount, e.g. `lines[1].amount` or `actual.USD`. */
  readonly field: string;
  readonly received: unknown;

  constructor(options: { store: string; operation: string; id: string; field: string; received: unknown }) {
    super({
      name,
      message: `genops: the ${options.store} store refused ${options.operation} "${options.id}": ${options.field} is ${describe(options.received)}, not a number from 0 to ${Number.MAX_SAFE_INTEGER} (integer units: nano-USD, tokens or requests; 2^53 - 1 nano-USD is $9,007,199.25, the most a ledger counts exactly). Nothing was changed; check the usage and price data that produced it.`,
    });
    this.store = options.store;
    this.operation = options.operation;
    this.id = options.id;
    this.field = options.field;
    this.received = options.received;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return value === null ? 'null' : typeof value;
}
