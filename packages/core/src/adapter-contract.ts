// Leaf types of the adapter registry (no runtime imports), so options and the registry share them without a cycle.

/**
 * What an adapter package registers with the core so that `GenOps.init()` turns it on with no code
 * change in the app. `enable` hooks the SDK (every copy it can find); `disable` undoes it.
 */
export interface GenOpsAdapter {
  /** Package name, e.g. `@genops/provider-openai`. */
  name: string;
  /** The SDK or framework it governs, e.g. `openai`. */
  instruments: string;
  enable(context: AdapterContext): boolean;
  disable(): void;
}

export interface AdapterContext {
  /** Directories to resolve the app's SDK from (the app's entry point and the working directory). */
  searchPaths: readonly string[];
}
