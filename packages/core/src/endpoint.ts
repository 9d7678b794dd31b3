/**
 * `server.address` / `server.port` of the endpoint a call goes to, from a base URL (the port defaults
 * from the scheme). Empty for a missing or unparseable URL: telemetry never fails a call.
 */
export function endpointOf(baseURL: string | URL | undefined): { serverAddress?: string; serverPort?: number } {
  if (!baseURL) return {};
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return {};
  }
  const port = url.port
    ? Number(url.port)
    : url.protocol === 'https:'
      ? 443
      : url.protocol === 'http:'
        ? 80
        : undefined;
  return { serverAddress: url.hostname, ...(port !== undefined ? { serverPort: port } : {}) };
}
