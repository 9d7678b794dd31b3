import Fastify, { type FastifyInstance } from 'fastify';
import { optionError } from './errors';
import { consolePlugin } from './plugin';
import type { ConsoleOptions } from './types';

export interface StartConsoleOptions extends ConsoleOptions {
  /** Default `127.0.0.1`: the console is reachable from this machine only unless told otherwise. */
  host?: string;
  /** Default 0 (a free port) in the API; `genops console` defaults to 4100. */
  port?: number;
}

export interface RunningConsole {
  /** `http://127.0.0.1:PORT/console/` */
  readonly url: string;
  readonly server: FastifyInstance;
  close(): Promise<void>;
}

/** Runs the console on its own HTTP server (what `genops console` does). */
export async function startConsole(options: StartConsoleOptions): Promise<RunningConsole> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw optionError('port', 'not a TCP port', 'a whole number from 0 to 65535', port);
  const server = Fastify({ logger: false, bodyLimit: 16_384 });
  await server.register(consolePlugin(options));
  server.get('/', async (_request, reply) => reply.redirect(`${options.prefix ?? '/console'}/`));
  await server.listen({ host, port });
  const address = server.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${bound}${options.prefix ?? '/console'}/`,
    server,
    close: () => server.close(),
  };
}
