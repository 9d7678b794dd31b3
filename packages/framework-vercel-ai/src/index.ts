export { convertVercelEmbeddingUsage, convertVercelUsage } from './convert-vercel-usage';
export { DEFAULT_TOOL_PROVIDER, genopsMiddleware, governedModel } from './genops-middleware';
export { governTools } from './govern-vercel-tools';
export {
  type GenOpsEmbeddingMiddlewareOptions,
  genopsEmbeddingMiddleware,
  governedEmbeddingModel,
} from './governed-embedding-model';
export { mapVercelProvider } from './map-vercel-provider';
export type { GenOpsMiddlewareOptions, GovernToolsOptions, VercelLanguageModel } from './types';
export { VERSION } from './version';
