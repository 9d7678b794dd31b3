// Serves a Next.js Edge route module (`export default async function handler(request: Request): Response`)
// on 127.0.0.1:3000, the address the example's header comment sends its curl to, calling the handler as
// Next's Edge runtime does: a web `Request` in (method, headers, streamed body), the `Response` streamed back.
// Stands in for the Next.js scaffolding the example needs; the route module is the vendored file, compiled.
// Usage: node [--import …] edge-host.mjs <compiled route module>
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const routeFile = process.argv[2];
if (!routeFile) throw new Error('edge-host.mjs: give the compiled route module as the first argument');
const route = await import(pathToFileURL(routeFile).href);
// A CommonJS build's `export default` is `module.exports.default`.
const handler = typeof route.default === 'function' ? route.default : route.default?.default;
if (typeof handler !== 'function') throw new Error(`edge-host.mjs: ${routeFile} has no default export function`);

const server = createServer(async (incoming, outgoing) => {
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers))
      for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) headers.append(name, one);
    const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
    const request = new Request(`http://127.0.0.1:3000${incoming.url ?? '/'}`, {
      method: incoming.method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(incoming), duplex: 'half' } : {}),
    });
    const response = await handler(request);
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) {
      outgoing.end();
      return;
    }
    for await (const chunk of response.body) outgoing.write(chunk);
    outgoing.end();
  } catch (error) {
    // As the Edge runtime does with a route that throws or a body stream that errors: logged, connection cut.
    console.error(error);
    outgoing.destroy();
  }
});
server.listen(3000, '127.0.0.1', () => console.log('Edge route host listening on 127.0.0.1:3000'));
