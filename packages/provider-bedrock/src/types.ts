/** One loaded copy of `@aws-sdk/client-bedrock-runtime` (its `dist-cjs` build, or a bundler's copy). */
export interface BedrockModule {
  BedrockRuntimeClient: any;
}

/** The parts of a `BedrockRuntimeClient` GenOps uses (kept structural: no SDK types in the public API). */
export interface BedrockClientLike {
  middlewareStack: { add(middleware: any, options: Record<string, unknown>): void };
  config: { region?: unknown; endpoint?: unknown };
}

/** A Bedrock Runtime command GenOps governs: its method name, and whether it streams and is model-native. */
export interface BedrockCommand {
  method: string;
  stream: boolean;
  invoke: boolean;
}

/** Where a Bedrock call goes: the client's region and endpoint. */
export interface BedrockEndpoint {
  region?: string;
  serverAddress?: string;
  serverPort?: number;
}
