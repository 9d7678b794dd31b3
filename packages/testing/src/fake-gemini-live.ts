// A fake Gemini Live server on 127.0.0.1: `BidiGenerateContent` over a WebSocket, on the Gemini API's path
// (`/ws/google.ai.generativelanguage.<version>.GenerativeService.BidiGenerateContent`) and Vertex AI's
// (`/ws/google.cloud.aiplatform.<version>.LlmBidiService/BidiGenerateContent`), with the message shapes of
// `@google/genai`'s `LiveClientMessage` / `LiveServerMessage`. Like the real server it sends its JSON messages
// as binary frames. It answers `setup` with `setupComplete`, and a model turn — a `clientContent` with
// `turnComplete: true`, a `realtimeInput` carrying `text`, `activityEnd` or `audioStreamEnd` (audio chunks
// alone are buffered, as voice activity detection would), or a `toolResponse` — with `serverContent.modelTurn`
// parts (text, or audio `inlineData` when the setup asks for AUDIO; a text session's response tokens are
// reported as TEXT), `generationComplete`, then `turnComplete`
// together with `usageMetadata` (the Gemini API's `responseTokenCount` names; Vertex's `candidatesTokenCount`
// on the Vertex path). The SDK connects with `ws:` to an `http:` base URL, so no TLS is needed.
import { type BidiSession, listenBidi } from './fake-google-bidi';

/** Usage of every turn, by modality. */
export interface FakeGeminiLiveUsage {
  promptTextTokens: number;
  promptAudioTokens: number;
  /** Cached prompt tokens (part of the text count above). */
  cachedTextTokens: number;
  responseTextTokens: number;
  responseAudioTokens: number;
}

export interface FakeGeminiLiveServer {
  /** The base URL to give the SDK (`httpOptions.baseUrl`): `http://127.0.0.1:<port>`. */
  url: string;
  /** `127.0.0.1:<port>`. */
  host: string;
  /** Every client message the server received, in order, with the path of its session. */
  readonly received: Array<{ path: string; message: Record<string, unknown> }>;
  /** Sessions opened. */
  readonly sessions: number;
  /** Model turns answered. */
  readonly turns: number;
  /** Usage of every turn from now on. */
  usage: FakeGeminiLiveUsage;
  /** When set, a turn sends its model content but never `turnComplete` nor usage (a turn left in flight). */
  holdTurnComplete: boolean;
  /** When set, the next turn answers with a `toolCall` (function `get_weather`) instead of content. */
  toolCallNext: boolean;
  /** When set, `usageMetadata` comes in its own message after `turnComplete`. */
  usageAfterTurnComplete: boolean;
  /** Closes every session's socket (a server-side close mid-session). */
  dropSessions(): void;
  /** Forgets what was received and restores the defaults (the adapter harness calls it before each test). */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_USAGE: FakeGeminiLiveUsage = {
  promptTextTokens: 120,
  promptAudioTokens: 80,
  cachedTextTokens: 0,
  responseTextTokens: 0,
  responseAudioTokens: 200,
};

/** The `usageMetadata` of one turn, on the Gemini API's wire (or Vertex's, `vertex: true`). */
export function geminiLiveUsageWire(usage: FakeGeminiLiveUsage, vertex = false): Record<string, unknown> {
  const prompt = usage.promptTextTokens + usage.promptAudioTokens;
  const response = usage.responseTextTokens + usage.responseAudioTokens;
  const promptDetails = [
    { modality: 'TEXT', tokenCount: usage.promptTextTokens },
    ...(usage.promptAudioTokens > 0 ? [{ modality: 'AUDIO', tokenCount: usage.promptAudioTokens }] : []),
  ];
  const responseDetails = [
    ...(usage.responseTextTokens > 0 ? [{ modality: 'TEXT', tokenCount: usage.responseTextTokens }] : []),
    ...(usage.responseAudioTokens > 0 ? [{ modality: 'AUDIO', tokenCount: usage.responseAudioTokens }] : []),
  ];
  return {
    promptTokenCount: prompt,
    ...(usage.cachedTextTokens > 0
      ? {
          cachedContentTokenCount: usage.cachedTextTokens,
          cacheTokensDetails: [{ modality: 'TEXT', tokenCount: usage.cachedTextTokens }],
        }
      : {}),
    [vertex ? 'candidatesTokenCount' : 'responseTokenCount']: response,
    totalTokenCount: prompt + response,
    promptTokensDetails: promptDetails,
    [vertex ? 'candidatesTokensDetails' : 'responseTokensDetails']: responseDetails,
  };
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeGeminiLive(): Promise<FakeGeminiLiveServer> {
  const received: FakeGeminiLiveServer['received'] = [];
  let sessions = 0;
  let turns = 0;

  const fake: FakeGeminiLiveServer = {
    url: '',
    host: '',
    received,
    get sessions() {
      return sessions;
    },
    get turns() {
      return turns;
    },
    usage: { ...DEFAULT_USAGE },
    holdTurnComplete: false,
    toolCallNext: false,
    usageAfterTurnComplete: false,
    dropSessions() {
      for (const socket of listener.sockets) socket.terminate();
    },
    reset() {
      received.length = 0;
      fake.usage = { ...DEFAULT_USAGE };
      fake.holdTurnComplete = false;
      fake.toolCallNext = false;
      fake.usageAfterTurnComplete = false;
    },
    close: () => listener.close(),
  };

  const listener = await listenBidi('BidiGenerateContent', ({ socket, path, send }: BidiSession) => {
    sessions++;
    const vertex = path.includes('LlmBidiService');
    let audio = false;
    let setupDone = false;

    socket.on('message', (data) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(String(data));
      } catch {
        socket.close(1007, 'Request contains an invalid argument.');
        return;
      }
      received.push({ path, message });
      const setup = message.setup as { generationConfig?: { responseModalities?: string[] } } | undefined;
      if (setup) {
        setupDone = true;
        audio = setup.generationConfig?.responseModalities?.includes('AUDIO') ?? false;
        send({ setupComplete: {} });
        return;
      }
      if (!setupDone) {
        socket.close(1007, 'The first message must be setup.');
        return;
      }
      const content = message.clientContent as { turnComplete?: boolean } | undefined;
      const input = message.realtimeInput as Record<string, unknown> | undefined;
      const turnStarts =
        content?.turnComplete === true ||
        message.toolResponse !== undefined ||
        (input !== undefined &&
          (input.text !== undefined || input.activityEnd !== undefined || input.audioStreamEnd === true));
      if (turnStarts) answer();
    });

    function answer(): void {
      turns++;
      // A text session's response tokens are text.
      const { responseTextTokens, responseAudioTokens } = fake.usage;
      const turnUsage = audio
        ? fake.usage
        : { ...fake.usage, responseTextTokens: responseTextTokens + responseAudioTokens, responseAudioTokens: 0 };
      const usage = geminiLiveUsageWire(turnUsage, vertex);
      if (fake.toolCallNext) {
        fake.toolCallNext = false;
        send({
          toolCall: { functionCalls: [{ id: `call_${turns}`, name: 'get_weather', args: { city: 'Paris' } }] },
          usageMetadata: usage,
        });
        return;
      }
      const parts = audio
        ? [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: Buffer.alloc(48).toString('base64') } }]
        : [{ text: 'Hello from the fake ' }, { text: 'Gemini Live server.' }];
      for (const part of parts) send({ serverContent: { modelTurn: { role: 'model', parts: [part] } } });
      if (fake.holdTurnComplete) return;
      send({ serverContent: { generationComplete: true } });
      if (fake.usageAfterTurnComplete) {
        send({ serverContent: { turnComplete: true } });
        send({ usageMetadata: usage });
      } else send({ serverContent: { turnComplete: true }, usageMetadata: usage });
    }
  });
  fake.host = listener.host;
  fake.url = listener.url;
  return fake;
}
