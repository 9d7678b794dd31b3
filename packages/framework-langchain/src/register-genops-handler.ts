import { getContextVariable, registerConfigureHook, setContextVariable } from '@langchain/core/context';
import { GenOpsCallbackHandler } from './genops-callback-handler';
import type { GenOpsCallbackHandlerOptions } from './types';

/** The LangChain context variable the registered handler lives in. */
export const GENOPS_HANDLER_CONTEXT_VARIABLE = 'genops_handler';

/**
 * Attaches a {@link GenOpsCallbackHandler} to every LangChain run started from here on, without passing
 * `callbacks`: `registerConfigureHook({ contextVar: 'genops_handler', inheritable: true })` and
 * `setContextVariable('genops_handler', handler)` from `@langchain/core/context`. Call it once at
 * startup, at the top level of your entry module (LangChain keeps context variables in an
 * `AsyncLocalStorage`, set with `enterWith`: what runs after the call in the same async context, and
 * everything started from it, sees the handler). Passing the same handler explicitly as well runs it once.
 *
 * The handler sets `raiseError`, so LangChain awaits it even when `LANGCHAIN_CALLBACKS_BACKGROUND` is
 * `true` (the default outside serverless): a denial always stops the call.
 *
 * @returns The registered handler.
 */
export function registerGenOpsHandler(
  handlerOrOptions: GenOpsCallbackHandler | GenOpsCallbackHandlerOptions = {},
): GenOpsCallbackHandler {
  const handler =
    handlerOrOptions instanceof GenOpsCallbackHandler ? handlerOrOptions : new GenOpsCallbackHandler(handlerOrOptions);
  // The hook list lives in the same async context: register the hook once per context chain.
  if (getContextVariable(GENOPS_HANDLER_CONTEXT_VARIABLE) === undefined)
    registerConfigureHook({ contextVar: GENOPS_HANDLER_CONTEXT_VARIABLE, inheritable: true });
  setContextVariable(GENOPS_HANDLER_CONTEXT_VARIABLE, handler);
  return handler;
}

/** Stops attaching the handler {@link registerGenOpsHandler} registered to new runs in this async context. */
export function unregisterGenOpsHandler(): void {
  if (getContextVariable(GENOPS_HANDLER_CONTEXT_VARIABLE) !== undefined)
    setContextVariable(GENOPS_HANDLER_CONTEXT_VARIABLE, null);
}
