// A bare HTTP hop for the gateway benchmark: the stack of the GenOps gateway (fastify for the client's
// side, one undici Agent for the upstream's) with no governance at all, forwarding the chat completions
// route as it comes and its response (JSON or event stream) as it goes. Its figures are the floor under
// the GenOps gateway's: what the hop alone costs, so the rest is what governance adds.
//
// Started with fork() and one JSON argument `{ upstream }`. It sends `{ url }` once it listens, answers
// a `stats` message with `{ stats: { cpuMicros } }` (its CPU time since it listened) and exits when its
// parent disconnects.
import Fastify from 'fastify';
import { Agent, request } from 'undici';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the length, which undici and node:http set themselves. */
const NOT_FORWARDED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
const forwarded = (headers) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !NOT_FORWARDED.has(name.toLowerCase())));

const { upstream } = JSON.parse(process.argv[2]);
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/v1/chat/completions', async (incoming, reply) => {
  const answer = await request(`${upstream}/chat/completions`, {
    method: 'POST',
    headers: forwarded(incoming.headers),
    body: incoming.body,
    dispatcher: agent,
  });
  reply.code(answer.statusCode).headers(forwarded(answer.headers));
  return reply.send(answer.body);
});
await app.listen({ host: '127.0.0.1', port: 0 });

const cpuAtListen = process.cpuUsage();
process.on('message', (message) => {
  if (message !== 'stats') return;
  const { user, system } = process.cpuUsage(cpuAtListen);
  process.send?.({ stats: { cpuMicros: user + system } });
});
process.on('disconnect', async () => {
  await app.close();
  await agent.close();
  process.exit(0);
});
process.send?.({ url: `http://127.0.0.1:${app.server.address().port}/v1` });
