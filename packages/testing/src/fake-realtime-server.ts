// A fake OpenAI WebSocket server on 127.0.0.1: the Realtime API (`/v1/realtime`) and Responses over a
// WebSocket (`/v1/responses`), with the event names and shapes of the openai SDK's types
// (`openai/resources/realtime/realtime`, `openai/resources/responses/responses`). Realtime answers
// `session.update` with `session.updated`, each `response.create` with `response.created`, text (or
// audio) deltas and `response.done` carrying `usage`. Input audio: `input_audio_buffer.append` fills the
// session's buffer (its seconds from the input format: PCM16 24 kHz 48,000 bytes a second, G.711 8,000),
// `input_audio_buffer.commit` (or {@link FakeRealtimeServer.commitNow}, a server-side commit as voice
// activity detection makes) answers `input_audio_buffer.committed` (an `error` for an empty buffer) and,
// when the session transcribes its input audio (GA `audio.input.transcription.model`, beta
// `input_audio_transcription.model`), `conversation.item.input_audio_transcription.completed` with the
// usage the model is billed by: `{ type: 'duration', seconds }` for `whisper-1` and
// `gpt-realtime-whisper`, else tokens (17 audio tokens a second of audio, rounded up; 8 out);
// `input_audio_buffer.clear` answers `input_audio_buffer.cleared`. A `conversation.item.create` answers
// `conversation.item.added`; a user item with `input_audio` parts is transcribed the same way as a buffer. Responses answers `response.create`
// with the Responses stream events ending in `response.completed`. The openai SDK opens Realtime sessions over
// `wss:` only, so the server speaks TLS with a self-signed certificate made with `openssl` (trust it with
// `tls.setDefaultCACertificates`, or `NODE_EXTRA_CA_CERTS=<certificateFile>` in a child process).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';

/** Realtime usage (`response.done`'s `response.usage`), by modality. */
export interface FakeRealtimeUsage {
  inputTextTokens: number;
  inputAudioTokens: number;
  /** Cached tokens (part of the text and audio counts above). */
  cachedTextTokens: number;
  cachedAudioTokens: number;
  outputTextTokens: number;
  outputAudioTokens: number;
}

export interface StartFakeRealtimeOptions {
  /** Serve `wss:` (default true: the SDK's Realtime clients connect with `wss:` only). */
  tls?: boolean;
  /** Usage of every Realtime response. */
  usage?: Partial<FakeRealtimeUsage>;
  /** The text of every response. */
  text?: string;
}

export interface FakeRealtimeServer {
  /** The base URL to give the SDK (`https://127.0.0.1:<port>/v1`, or `http:` without TLS). */
  baseURL: string;
  /** `127.0.0.1:<port>`. */
  host: string;
  /** The self-signed certificate (PEM) and its file, when the server speaks TLS. */
  certificate: string | undefined;
  certificateFile: string | undefined;
  /** Every client event the server received, in order, with the path of its session. */
  readonly received: Array<{ path: string; event: Record<string, unknown> }>;
  /** Sessions opened. */
  readonly sessions: number;
  /** Responses asked for and answered (`response.created` sent). */
  readonly responses: number;
  /** Usage of every Realtime response from now on. */
  usage: FakeRealtimeUsage;
  /** When set, the server sends `response.created` and deltas but not the final event (a response left in flight). */
  holdFinalEvent: boolean;
  /** When set, a committed buffer is not transcribed (no `...input_audio_transcription.completed`). */
  holdTranscription: boolean;
  /** Commits every session's input audio buffer from the server side, as voice activity detection does. */
  commitNow(): void;
  /** Closes every session's socket (a server-side close mid-session). */
  dropSessions(): void;
  close(): Promise<void>;
}

const DEFAULT_REALTIME_USAGE: FakeRealtimeUsage = {
  inputTextTokens: 120,
  inputAudioTokens: 80,
  cachedTextTokens: 64,
  cachedAudioTokens: 16,
  outputTextTokens: 30,
  outputAudioTokens: 200,
};

/** The usage object of a Realtime `response.done`. */
export function realtimeUsageWire(usage: FakeRealtimeUsage): Record<string, unknown> {
  const input = usage.inputTextTokens + usage.inputAudioTokens;
  const output = usage.outputTextTokens + usage.outputAudioTokens;
  return {
    total_tokens: input + output,
    input_tokens: input,
    output_tokens: output,
    input_token_details: {
      text_tokens: usage.inputTextTokens,
      audio_tokens: usage.inputAudioTokens,
      image_tokens: 0,
      cached_tokens: usage.cachedTextTokens + usage.cachedAudioTokens,
      cached_tokens_details: {
        text_tokens: usage.cachedTextTokens,
        audio_tokens: usage.cachedAudioTokens,
        image_tokens: 0,
      },
    },
    output_token_details: { text_tokens: usage.outputTextTokens, audio_tokens: usage.outputAudioTokens },
  };
}

/** The session's transcription model: GA `audio.input.transcription.model`, beta `input_audio_transcription.model`. */
function transcriptionModel(session: Record<string, any>): string | undefined {
  const model = session.audio?.input?.transcription?.model ?? session.input_audio_transcription?.model;
  return typeof model === 'string' ? model : undefined;
}

/** Bytes a second of the session's input audio: PCM16 at 24 kHz (the default), or G.711 at 8 kHz. */
function bytesPerSecond(session: Record<string, any>): number {
  const format = session.audio?.input?.format?.type ?? session.input_audio_format ?? 'audio/pcm';
  return format === 'audio/pcm' || format === 'pcm16' ? 48_000 : 8_000;
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeRealtime(options: StartFakeRealtimeOptions = {}): Promise<FakeRealtimeServer> {
  const tls = options.tls ?? true;
  const text = options.text ?? 'Hello from the fake Realtime server.';
  let directory: string | undefined;
  let certificate: string | undefined;
  let http: Server;
  if (tls) {
    directory = mkdtempSync(join(tmpdir(), 'genops-fake-realtime-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        'server.key',
        '-out',
        'server.crt',
      ],
      { cwd: directory, stdio: 'pipe' },
    );
    certificate = readFileSync(join(directory, 'server.crt'), 'utf8');
    http = createHttpsServer({ cert: certificate, key: readFileSync(join(directory, 'server.key')) });
  } else {
    http = createHttpServer();
  }
  const sockets = new Set<WebSocket>();
  const commits = new Set<() => void>();
  const received: FakeRealtimeServer['received'] = [];
  let sessions = 0;
  let responses = 0;
  const server = new WebSocketServer({ server: http });

  const fake: FakeRealtimeServer = {
    baseURL: '',
    host: '',
    certificate,
    certificateFile: directory ? join(directory, 'server.crt') : undefined,
    received,
    get sessions() {
      return sessions;
    },
    get responses() {
      return responses;
    },
    usage: { ...DEFAULT_REALTIME_USAGE, ...options.usage },
    holdFinalEvent: false,
    holdTranscription: false,
    commitNow() {
      for (const commit of commits) commit();
    },
    dropSessions() {
      for (const socket of sockets) socket.terminate();
    },
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      http.closeAllConnections?.();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      if (directory) rmSync(directory, { recursive: true, force: true });
    },
  };

  server.on('connection', (socket, request) => {
    sessions++;
    sockets.add(socket);
    // Ids count per session: the same session script gets the same ids (example outputs compare equal).
    let sequence = 0;
    const id = (prefix: string) => `${prefix}_fake${++sequence}`;
    /** Audio bytes in the session's input buffer (base64-decoded). */
    let buffered = 0;
    const commit = () => commitAudio();
    commits.add(commit);
    socket.on('close', () => {
      sockets.delete(socket);
      commits.delete(commit);
    });
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const send = (event: Record<string, unknown>) => socket.send(JSON.stringify({ event_id: id('event'), ...event }));
    const session: Record<string, unknown> = {
      type: 'realtime',
      object: 'realtime.session',
      id: id('sess'),
      model: url.searchParams.get('model') ?? 'gpt-realtime',
      output_modalities: ['audio'],
      max_output_tokens: 'inf',
      instructions: '',
      tools: [],
      tool_choice: 'auto',
    };
    if (path.endsWith('/realtime')) send({ type: 'session.created', session });
    socket.on('message', (data) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(String(data));
      } catch {
        send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_json', message: 'bad JSON' } });
        return;
      }
      received.push({ path, event });
      if (path.endsWith('/responses')) {
        if (event.type === 'response.create') answerResponses(event);
        return;
      }
      switch (event.type) {
        case 'session.update':
          Object.assign(session, event.session);
          send({ type: 'session.updated', session });
          return;
        case 'conversation.item.create': {
          const item = { id: id('item'), ...(event.item as object), status: 'completed' } as Record<string, unknown>;
          send({ type: 'conversation.item.added', previous_item_id: null, item });
          // A user item with input audio is transcribed as a committed buffer is.
          const audio = Array.isArray(item.content)
            ? (item.content as Array<Record<string, unknown>>)
                .filter((part) => part.type === 'input_audio' && typeof part.audio === 'string')
                .reduce((bytes, part) => bytes + Buffer.from(part.audio as string, 'base64').byteLength, 0)
            : 0;
          if (audio > 0) transcribe(item.id as string, audio / bytesPerSecond(session));
          return;
        }
        case 'input_audio_buffer.append':
          buffered += typeof event.audio === 'string' ? Buffer.from(event.audio, 'base64').byteLength : 0;
          return;
        case 'input_audio_buffer.clear':
          buffered = 0;
          send({ type: 'input_audio_buffer.cleared' });
          return;
        case 'input_audio_buffer.commit':
          commitAudio(event.event_id);
          return;
        case 'response.create':
          answerRealtime(event);
          return;
      }
    });

    /** Commits the audio buffer; a session with input transcription gets it transcribed, with usage. */
    function commitAudio(eventId?: unknown): void {
      if (buffered === 0) {
        send({
          type: 'error',
          error: {
            type: 'invalid_request_error',
            code: 'input_audio_buffer_commit_empty',
            message: 'Error committing input audio buffer: the buffer is empty.',
            param: null,
            event_id: typeof eventId === 'string' ? eventId : null,
          },
        });
        return;
      }
      const seconds = buffered / bytesPerSecond(session);
      buffered = 0;
      const itemId = id('item');
      send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: itemId });
      transcribe(itemId, seconds);
    }

    /** Transcribes `seconds` of the item's audio, when the session transcribes its input audio. */
    function transcribe(itemId: string, seconds: number): void {
      const model = transcriptionModel(session);
      if (!model || fake.holdTranscription) return;
      const audioTokens = Math.ceil(seconds * 17);
      send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: itemId,
        content_index: 0,
        transcript: text,
        usage:
          model === 'whisper-1' || model === 'gpt-realtime-whisper'
            ? { type: 'duration', seconds }
            : {
                type: 'tokens',
                input_tokens: audioTokens,
                output_tokens: 8,
                total_tokens: audioTokens + 8,
                input_token_details: { text_tokens: 0, audio_tokens: audioTokens },
              },
      });
    }

    function answerRealtime(event: Record<string, unknown>): void {
      responses++;
      const responseId = id('resp');
      const overrides = (event.response ?? {}) as Record<string, unknown>;
      const modalities = (overrides.output_modalities ?? session.output_modalities) as string[];
      const audio = modalities.includes('audio');
      const itemId = id('item');
      const base = { object: 'realtime.response', id: responseId, conversation_id: id('conv') };
      send({ type: 'response.created', response: { ...base, status: 'in_progress', output: [], usage: null } });
      send({
        type: 'response.output_item.added',
        response_id: responseId,
        output_index: 0,
        item: { id: itemId, type: 'message', role: 'assistant', status: 'in_progress', content: [] },
      });
      const position = { response_id: responseId, item_id: itemId, output_index: 0, content_index: 0 };
      if (audio) {
        send({ type: 'response.output_audio.delta', ...position, delta: Buffer.alloc(48).toString('base64') });
        send({ type: 'response.output_audio_transcript.delta', ...position, delta: text });
      } else {
        for (const word of text.split(/(?<= )/)) send({ type: 'response.output_text.delta', ...position, delta: word });
        send({ type: 'response.output_text.done', ...position, text });
      }
      if (fake.holdFinalEvent) return;
      const content = audio ? { type: 'output_audio', transcript: text } : { type: 'output_text', text };
      send({
        type: 'response.done',
        response: {
          ...base,
          status: 'completed',
          status_details: null,
          output: [{ id: itemId, type: 'message', role: 'assistant', status: 'completed', content: [content] }],
          output_modalities: modalities,
          max_output_tokens: overrides.max_output_tokens ?? session.max_output_tokens,
          usage: realtimeUsageWire(fake.usage),
        },
      });
    }

    function answerResponses(event: Record<string, unknown>): void {
      responses++;
      const responseId = id('resp');
      const itemId = id('msg');
      const model = typeof event.model === 'string' ? event.model : 'gpt-5.2';
      const base = { id: responseId, object: 'response', created_at: Math.floor(Date.now() / 1000), model };
      let sequenceNumber = 0;
      const emit = (payload: Record<string, unknown>) =>
        socket.send(JSON.stringify({ ...payload, sequence_number: sequenceNumber++ }));
      emit({ type: 'response.created', response: { ...base, status: 'in_progress', output: [], usage: null } });
      emit({
        type: 'response.output_item.added',
        output_index: 0,
        item: { id: itemId, type: 'message', role: 'assistant', status: 'in_progress', content: [] },
      });
      for (const word of text.split(/(?<= )/))
        emit({ type: 'response.output_text.delta', item_id: itemId, output_index: 0, content_index: 0, delta: word });
      emit({ type: 'response.output_text.done', item_id: itemId, output_index: 0, content_index: 0, text });
      const item = {
        id: itemId,
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text, annotations: [] }],
      };
      emit({ type: 'response.output_item.done', output_index: 0, item });
      if (fake.holdFinalEvent) return;
      const usage = fake.usage;
      const input = usage.inputTextTokens;
      emit({
        type: 'response.completed',
        response: {
          ...base,
          status: 'completed',
          output: [item],
          usage: {
            input_tokens: input,
            input_tokens_details: { cached_tokens: usage.cachedTextTokens },
            output_tokens: usage.outputTextTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: input + usage.outputTextTokens,
          },
        },
      });
    }
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const port = (http.address() as AddressInfo).port;
  fake.host = `127.0.0.1:${port}`;
  fake.baseURL = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`;
  return fake;
}
