import { GenOpsError, type GovernanceStore } from '@genops/core';
import { Approvals, type CompiledPolicy } from '@genops/core/internal';
import { optionError } from './errors';
import type { ConsoleSourceOptions } from './types';

/** What the console reads and decides through, whichever way it was given. */
export interface ConsoleSource {
  readonly store: GovernanceStore;
  readonly approvals: Approvals;
  policy(): CompiledPolicy | undefined;
  readonly policySource: string | undefined;
}

export function resolveSource(options: ConsoleSourceOptions): ConsoleSource {
  const { genops, store } = options;
  if (genops && store)
    throw optionError('store', 'both a GenOps instance and a store were given', 'one of `genops` or `store`', 'both');
  if (genops) {
    if (!genops.governor?.store)
      throw optionError('genops', 'this is not a running GenOps instance', 'the handle GenOps.init() returns', genops);
    return {
      store: genops.governor.store,
      approvals: genops.approvals,
      policy: () => genops.governor.currentPolicy,
      policySource: options.policySource,
    };
  }
  if (!store || typeof store.listApprovals !== 'function' || typeof store.readAudit !== 'function')
    throw optionError(
      'store',
      'the console has nothing to read',
      'a GenOps instance (`genops`) or a governance store (`store`), or a server that has one (the gateway)',
      store,
    );
  const policy = options.policy;
  return {
    store,
    approvals: new Approvals(store),
    policy: typeof policy === 'function' ? policy : () => policy,
    policySource: options.policySource,
  };
}

/** A store failure, for the API's 503 answer: the message, never a stack or a connection string. */
export function storeFailure(error: unknown): string {
  if (GenOpsError.isInstance(error)) return error.message;
  return 'the governance store could not be read';
}
