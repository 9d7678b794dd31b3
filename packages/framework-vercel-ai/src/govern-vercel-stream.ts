import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import {
  type CallOutcome,
  type DeniedToolCall,
  type GovernedCall,
  type Governor,
  recordDeniedToolCall,
} from '@genops/core/adapter';
import { findDeniedToolCall } from './check-tool-calls';
import { convertVercelUsage } from './convert-vercel-usage';
import { finishReasonsOf } from './read-vercel-response';

/** Parts that carry no model output (they arrive before the first token). */
const NOT_OUTPUT = new Set(['stream-start', 'response-metadata', 'raw', 'ping']);

export interface GovernStreamOptions {
  governor: Governor;
  /** `undefined`: tool calls are not checked. */
  toolProvider: string | undefined;
}

/**
 * Reads a `doStream` result's parts as they pass to the AI SDK, unchanged, and settles the governed call
 * exactly once: with the `finish` part's usage when the stream ends; as incomplete when the consumer
 * cancels it; as failed (with what was read) when the provider's stream errors or sends an `error` part.
 * Text deltas are checked by output content rules; a denied tool call is held back, so the AI SDK never
 * executes it, and the stream errors with the policy error after `finish`.
 *
 * The provider's stream is read to its end whether or not anyone reads on (parts queue up for the AI
 * SDK): `streamText` keeps the provider's response open when its consumer stops reading (`break` out of
 * `textStream` or `fullStream` cancels only its own branch of the result), so the provider finishes,
 * and bills, the whole response; reading it is what settles the unit with that usage instead of never.
 * The returned stream is tethered to the call: dropped before the provider finished, the unit settles
 * at its reservation.
 */
export function governVercelStream(
  call: GovernedCall,
  source: ReadableStream<LanguageModelV4StreamPart>,
  options: GovernStreamOptions,
): ReadableStream<LanguageModelV4StreamPart> {
  const reader = source.getReader();
  const outcome: CallOutcome & { response: NonNullable<CallOutcome['response']> } = { response: {} };
  let first = true;
  let settled = false;
  let streamError: unknown;
  let denied: DeniedToolCall | undefined;

  const settle = async (how: () => Promise<void>) => {
    if (settled) return;
    settled = true;
    await how();
  };

  return readToEnd(call, {
    async pull(controller) {
      for (;;) {
        let next: ReadableStreamReadResult<LanguageModelV4StreamPart>;
        try {
          next = await reader.read();
        } catch (error) {
          await settle(() => call.fail(error, snapshot(outcome)));
          controller.error(error);
          return;
        }
        if (next.done) {
          await settle(() =>
            streamError !== undefined
              ? call.fail(streamError, snapshot(outcome))
              : call.end({ ...snapshot(outcome), incomplete: outcome.usage === undefined }),
          );
          if (denied) controller.error(await recordDeniedToolCall(options.governor, denied));
          else controller.close();
          return;
        }
        const part = next.value;
        if (first && !NOT_OUTPUT.has(part.type)) {
          first = false;
          call.firstChunk();
        }
        switch (part.type) {
          case 'response-metadata':
            if (part.id) outcome.response.id = part.id;
            if (part.modelId) outcome.response.model = part.modelId;
            break;
          case 'finish':
            outcome.usage = convertVercelUsage(part.usage);
            outcome.response.finishReasons = finishReasonsOf(part.finishReason);
            break;
          case 'error':
            streamError ??= part.error;
            break;
          case 'text-delta': {
            const blocked = call.checkOutput(part.delta);
            if (blocked) {
              await settle(() => call.fail(blocked, snapshot(outcome)));
              controller.error(blocked);
              await reader.cancel(blocked).catch(() => {});
              return;
            }
            break;
          }
          case 'tool-call':
            // Held back: the AI SDK executes client tools as their `tool-call` parts arrive. After a
            // denied one, no further tool call of this step is delivered either.
            if (denied) continue;
            if (options.toolProvider !== undefined) {
              denied = findDeniedToolCall(options.governor, call.attribution, [part], options.toolProvider);
              if (denied) continue;
            }
            break;
        }
        // After a denied tool call, the rest of the stream is read for its usage, and `finish` is held
        // back too: the generation ends with the policy error, not as a finished step.
        if (denied && part.type === 'finish') continue;
        controller.enqueue(part);
        return;
      }
    },
    async cancel(reason) {
      // The consumer stopped reading: what was produced so far is billed, but its usage never arrived.
      await settle(() => call.end({ ...snapshot(outcome), incomplete: true }));
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/**
 * The stream the AI SDK reads: pulled whatever the consumer does, so the provider's stream is always read
 * to its end (see {@link governVercelStream}), and tethered to the call.
 */
function readToEnd(
  call: GovernedCall,
  source: UnderlyingDefaultSource<LanguageModelV4StreamPart>,
): ReadableStream<LanguageModelV4StreamPart> {
  const stream = new ReadableStream(source, { highWaterMark: Number.POSITIVE_INFINITY });
  call.tether(stream);
  return stream;
}

function snapshot(outcome: CallOutcome): CallOutcome {
  return { ...outcome, response: { ...outcome.response } };
}
