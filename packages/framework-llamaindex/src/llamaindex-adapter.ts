import type { GenOpsAdapter } from '@genops/core/adapter';
import { traceLlamaIndexSteps } from './llamaindex-steps';

let stop: (() => void) | undefined;

/**
 * Registered when this package is loaded: `GenOps.init()` starts tracing LlamaIndex query and retrieval
 * steps on the global `Settings.callbackManager`, and `shutdown()` stops. Governing the LLM itself takes
 * `governLLM(llm)` (LlamaIndex has no hook that can stop a call).
 */
export const llamaIndexAdapter: GenOpsAdapter = {
  name: '@genops/framework-llamaindex',
  instruments: 'llamaindex',
  enable() {
    stop ??= traceLlamaIndexSteps();
    return true;
  },
  disable() {
    stop?.();
    stop = undefined;
  },
};
