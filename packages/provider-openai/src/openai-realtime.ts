// The explicit form for the SDK's WebSocket clients: `OpenAIRealtimeWS` (`openai/realtime/ws`),
// `OpenAIRealtimeWebSocket` (`openai/realtime/websocket`) and `ResponsesWS`
// (`openai/resources/responses/ws`). Glue only: the frame logic (each `response.create` one governed unit,
// settled from its final event) is core's realtime governor, the same one egress binds in `govern` mode.
import {
  asGovernedHandshake,
  currentGovernor,
  governRealtimeSocket,
  type RealtimeProtocol,
} from '@genops/core/adapter';

/** What the binding reads of an SDK WebSocket client: its socket (the SDK's wrapper or the raw one). */
interface RealtimeClientLike {
  socket?: unknown;
  url?: unknown;
}

/**
 * Governs an openai SDK WebSocket session per response: each `response.create` is checked by policy and
 * reserved before it is sent, and settled from its `response.done` / `response.completed` usage; a refused
 * one is not sent and the client gets an `error` event (`error.type: 'genops_governance_error'`).
 *
 * Pass a factory (`() => new OpenAIRealtimeWS({ model }, client)`) to have its handshake treated as
 * governed (egress `deny` and `warn` then let it through, since GenOps governs it); an instance already
 * constructed is governed from now on (its handshake went through egress as any other). Returns the
 * client. Without `GenOps.init()` it does nothing. With `egress: 'govern'` (the default) sessions are
 * governed with no code change; this is for `egress: 'off'` or `'deny'`.
 *
 * @example
 * const rt = governRealtime(() => new OpenAIRealtimeWS({ model: 'gpt-realtime' }, client));
 */
export function governRealtime<Client extends object>(client: Client | (() => Client)): Client {
  const governor = currentGovernor();
  if (typeof client === 'function') {
    const factory = client as () => Client;
    const created = governor ? asGovernedHandshake(factory) : factory();
    return bind(created);
  }
  return bind(client);
}

function bind<Client extends object>(client: Client): Client {
  const governor = currentGovernor();
  if (!governor) return client;
  const wrapper = (client as RealtimeClientLike).socket as { platformSocket?: unknown } | undefined;
  const socket = (wrapper?.platformSocket ?? wrapper) as { url?: unknown } | undefined;
  if (!socket || typeof socket !== 'object') return client;
  const url = urlOf((client as RealtimeClientLike).url) ?? urlOf(socket.url);
  if (!url) return client;
  const path = url.pathname.toLowerCase();
  const protocol: RealtimeProtocol | undefined = path.endsWith('/realtime')
    ? 'realtime'
    : path.endsWith('/responses')
      ? 'responses'
      : undefined;
  if (!protocol) return client;
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  governRealtimeSocket(governor, socket, {
    provider: 'openai',
    protocol,
    model: url.searchParams.get('model') ?? undefined,
    server: { serverAddress: url.hostname, serverPort: Number(url.port) || (secure ? 443 : 80) },
  });
  return client;
}

function urlOf(value: unknown): URL | undefined {
  if (value instanceof URL) return value;
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
