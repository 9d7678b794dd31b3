import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import type { Implementation } from '@modelcontextprotocol/sdk/types.js';
import { governMcpClient } from './govern-mcp-client';
import type { GovernMcpClientOptions } from './types';

/**
 * An MCP `Client` whose tool calls are governed from construction: the same as
 * `governMcpClient(new Client(clientInfo, options), governance)`.
 *
 * @example
 * const client = new GovernedClient({ name: 'agent', version: '1.0.0' }, {}, { onDenied: 'throw' });
 */
export class GovernedClient extends Client {
  constructor(clientInfo: Implementation, options?: ClientOptions, governance?: GovernMcpClientOptions) {
    super(clientInfo, options);
    governMcpClient(this, governance);
  }
}
