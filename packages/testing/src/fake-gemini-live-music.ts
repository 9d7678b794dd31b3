// A fake Lyria RealTime server on 127.0.0.1: `BidiGenerateMusic` over a WebSocket, on the Gemini API's path
// (`/ws/google.ai.generativelanguage.<version>.GenerativeService.BidiGenerateMusic`), with the message shapes of
// `@google/genai`'s `LiveMusicClientMessage` / `LiveMusicServerMessage` (`ai.live.music.connect`). Like the
// Live server it sends its JSON messages as binary frames. It answers `setup` with `setupComplete`, keeps the
// weighted prompts (`clientContent.weightedPrompts`) and `musicGenerationConfig`, and on `playbackControl: PLAY`
// streams {@link FakeLyriaServer.chunksPerPlay} messages of `serverContent.audioChunks`, each one audio chunk of
// {@link FakeLyriaServer.chunkSeconds} of 16-bit PCM at 48 kHz, stereo (`audio/l16;rate=48000;channels=2`:
// 192,000 bytes a second), one per turn of the event loop; `PAUSE` and `STOP` end the stream early. Lyria
// reports no usage: what it bills is the audio it generates. The SDK connects with `ws:` to an `http:` base URL.
import { type BidiSession, listenBidi } from './fake-google-bidi';

/** Bytes a second of the fake's audio: 16-bit PCM, 48 kHz, two channels. */
export const FAKE_LYRIA_BYTES_PER_SECOND = 48_000 * 2 * 2;

export interface FakeLyriaServer {
  /** The base URL to give the SDK (`httpOptions.baseUrl`): `http://127.0.0.1:<port>`. */
  url: string;
  /** `127.0.0.1:<port>`. */
  host: string;
  /** Every client message the server received, in order. */
  readonly received: Array<Record<string, unknown>>;
  /** Sessions opened. */
  readonly sessions: number;
  /** Audio chunks sent, every session together. */
  readonly chunksSent: number;
  /** Audio chunks one `PLAY` streams (default 4). */
  chunksPerPlay: number;
  /** Seconds of audio in one chunk (default 2). */
  chunkSeconds: number;
  /** Forgets what was received and restores the defaults. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeLyria(): Promise<FakeLyriaServer> {
  const received: Array<Record<string, unknown>> = [];
  let sessions = 0;
  let chunksSent = 0;

  const fake: FakeLyriaServer = {
    url: '',
    host: '',
    received,
    get sessions() {
      return sessions;
    },
    get chunksSent() {
      return chunksSent;
    },
    chunksPerPlay: 4,
    chunkSeconds: 2,
    reset() {
      received.length = 0;
      fake.chunksPerPlay = 4;
      fake.chunkSeconds = 2;
    },
    close: () => listener.close(),
  };

  const listener = await listenBidi('BidiGenerateMusic', ({ socket, send }: BidiSession) => {
    sessions++;
    let playing = 0;
    socket.on('close', () => {
      playing++;
    });
    let prompts: unknown[] = [];
    let config: Record<string, unknown> = {};
    let setupDone = false;

    /** Streams the chunks of one PLAY, one per turn of the event loop, until a PAUSE, STOP or close. */
    function play(): void {
      const stream = ++playing;
      let left = fake.chunksPerPlay;
      const next = () => {
        if (stream !== playing || left-- <= 0 || socket.readyState !== socket.OPEN) return;
        chunksSent++;
        const data = Buffer.alloc(Math.round(fake.chunkSeconds * FAKE_LYRIA_BYTES_PER_SECOND)).toString('base64');
        send({
          serverContent: {
            audioChunks: [
              {
                data,
                mimeType: 'audio/l16;rate=48000;channels=2',
                sourceMetadata: { clientContent: { weightedPrompts: prompts }, musicGenerationConfig: config },
              },
            ],
          },
        });
        setImmediate(next);
      };
      setImmediate(next);
    }

    socket.on('message', (data) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(String(data));
      } catch {
        socket.close(1007, 'Request contains an invalid argument.');
        return;
      }
      received.push(message);
      if (message.setup) {
        setupDone = true;
        send({ setupComplete: {} });
        return;
      }
      if (!setupDone) {
        socket.close(1007, 'The first message must be setup.');
        return;
      }
      const content = message.clientContent as { weightedPrompts?: unknown[] } | undefined;
      if (content?.weightedPrompts) prompts = content.weightedPrompts;
      if (message.musicGenerationConfig) config = message.musicGenerationConfig as Record<string, unknown>;
      if (message.playbackControl === 'PLAY') play();
      else if (message.playbackControl === 'PAUSE' || message.playbackControl === 'STOP') playing++;
    });
  });
  fake.host = listener.host;
  fake.url = listener.url;
  return fake;
}
