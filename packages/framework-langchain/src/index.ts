// Public API of @genops/framework-langchain. Explicit named exports only.

export { convertLangChainUsage, type LangChainUsageMetadata } from './convert-langchain-usage';
export {
  type DescribeLangChainRequestInput,
  describeLangChainRequest,
  type LangChainModelRun,
  providerOf,
} from './describe-langchain-request';
export {
  type GenOpsAgentMiddleware,
  type GenOpsAgentMiddlewareOptions,
  type GenOpsToolCallRequest,
  genopsAgentMiddleware,
} from './genops-agent-middleware';
export { GenOpsCallbackHandler, type GenOpsCallbackHandlerOptions } from './genops-callback-handler';
export {
  GENOPS_HANDLER_CONTEXT_VARIABLE,
  registerGenOpsHandler,
  unregisterGenOpsHandler,
} from './register-genops-handler';
export { VERSION } from './version';
