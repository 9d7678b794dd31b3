// What the fake Gemini Live (fake-gemini-live.ts) and Lyria (fake-gemini-live-music.ts) servers share: a `ws`
// server on 127.0.0.1 that takes sessions on one `Bidi…` method's path (others are closed with 1008, as the
// real server refuses an unknown method), sends JSON messages as binary frames as Google's servers do, and
// closes its sessions when the fake closes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** One session: its socket, the path it opened, and how to send a message. */
export interface BidiSession {
  socket: WebSocket;
  path: string;
  /** Sends a JSON message as a binary frame, as the real server does (browsers see a Blob). */
  send(message: Record<string, unknown>): void;
}

export interface BidiListener {
  /** `127.0.0.1:<port>`. */
  host: string;
  /** `http://127.0.0.1:<port>`: the base URL to give the SDK (it connects with `ws:`). */
  url: string;
  /** The open sessions' sockets. */
  sockets: Set<WebSocket>;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1; `onSession` gets each session opened on a path containing `method`. */
export async function listenBidi(method: string, onSession: (session: BidiSession) => void): Promise<BidiListener> {
  const http: Server = createServer((_request, response) => {
    response.writeHead(404).end();
  });
  const server = new WebSocketServer({ server: http });
  const sockets = new Set<WebSocket>();
  server.on('connection', (socket, request) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (!path.includes(method)) {
      socket.close(1008, 'unknown method');
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onSession({
      socket,
      path,
      send: (message) => socket.send(Buffer.from(JSON.stringify(message)), { binary: true }),
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const port = (http.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    sockets,
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      http.closeAllConnections?.();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
