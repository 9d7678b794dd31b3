// Public API of @genops/framework-langchain. Explicit named exports only.

export { convertLangChainUsage, type LangChainUsageMetadata } from './convert-langchain-usage';
export {
  type DescribeLangChainRequestInput,
  describeLangChainRequest,
  type LangChainModelRun,
  providerOf,
} from './describe-langchain-request';
export { genopsAgentMiddleware } from './genops-agent-middleware';
export { GenOpsCallbackHandler } from './genops-callback-handler';
export {
  GENOPS_HANDLER_CONTEXT_VARIABLE,
  registerGenOpsHandler,
  unregisterGenOpsHandler,
} from './register-genops-handler';
export type {
  GenOpsAgentMiddleware,
  GenOpsAgentMiddlewareOptions,
  GenOpsCallbackHandlerOptions,
  GenOpsToolCallRequest,
} from './types';
export { VERSION } from './version';
