// Public API of @genops/framework-mcp. Explicit named exports only.

export {
  deniedToolError,
  deniedToolResult,
  type GovernanceDenial,
  governanceDenialOf,
  META_ERROR_NAME,
  META_POLICY_RESULT,
  META_REASON_CODE,
} from './denial';
export { TOOL_CALL_ID_META } from './describe-mcp-request';
export { governMcpClient } from './govern-mcp-client';
export { governMcpServer, governTool } from './govern-mcp-server';
export { GovernedClient } from './governed-client';
export type { GovernMcpClientOptions, GovernMcpServerOptions, OnDenied } from './types';
export { VERSION } from './version';
