/** What a caller of a governed MCP client gets when GenOps denies a tool call. */
export type OnDenied = 'result' | 'throw';

/** Options of {@link governMcpClient} and {@link GovernedClient}. */
export interface GovernMcpClientOptions {
  /**
   * What `callTool` does when GenOps denies the call (tool rule, approval denied or timed out, rate
   * limit, call-count budget):
   * - `'result'` (default): resolves an MCP tool error result, `{ isError: true, content: [{ type: 'text',
   *   text }], _meta: { 'genops/reasonCode', 'genops/errorName', 'genops/result' } }`, the MCP
   *   convention for tool errors, so that a model sees why and can choose another way;
   * - `'throw'`: rejects with an `McpError` (code `ErrorCode.InvalidRequest`, `data` as the `_meta`
   *   above) whose `cause` is the GenOps `GovernanceError`.
   *
   * A task-augmented call (`callToolStream` with `task`) always gets the `McpError`: a task request
   * expects a `CreateTaskResult`, which a denial cannot be.
   */
  onDenied?: OnDenied;
  /** `server.address` of the units: the MCP server's host, when the app knows it (the SDK does not expose it). */
  serverAddress?: string;
  /** `server.port` of the units. */
  serverPort?: number;
}

/** Options of {@link governMcpServer} and {@link governTool}. */
export interface GovernMcpServerOptions {
  /**
   * When the call comes from a client governed by `governMcpClient` in this same process (an
   * `InMemoryTransport` pair) under the same `GenOps.init()`, run the handler inside the client's unit
   * instead of governing it a second time (default `true`): the same governor already applied the same
   * policy, and a second unit would count the call twice against rate limits and call-count budgets.
   * `false` makes the server's handler a unit of its own, nested under the client's span.
   * Calls from other processes are always governed on the server.
   */
  joinInProcessClient?: boolean;
  /** `server.address` of the units: this server's own address, when it has one. */
  serverAddress?: string;
  /** `server.port` of the units. */
  serverPort?: number;
}
