import { addGovernanceMiddleware } from './govern-bedrock-call';

/**
 * Governs one Bedrock Runtime client explicitly by adding GenOps's middleware to its
 * `middlewareStack`: works under ESM, bundlers and with `autoInstrument: false`. Governance applies
 * once `GenOps.init()` has run; before that, calls pass through unchanged.
 *
 * @example
 * const client = instrumentBedrock(new BedrockRuntimeClient({ region: 'eu-west-1' }));
 */
export function instrumentBedrock<T extends object>(client: T): T {
  if (!addGovernanceMiddleware(client as never)) {
    throw new TypeError(
      'instrumentBedrock(client) expects a client created by `@aws-sdk/client-bedrock-runtime` (version 3).',
    );
  }
  return client;
}
