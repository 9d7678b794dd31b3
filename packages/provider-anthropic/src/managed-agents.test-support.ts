// What the Managed Agents tests (adapter and egress) share: a user message, and reading a session's
// event stream up to an idle with the real SDK, as its example programs do.
import type Anthropic from '@anthropic-ai/sdk';

export function userMessage(text: string) {
  return { type: 'user.message' as const, content: [{ type: 'text' as const, text }] };
}

/** Reads the session's event stream up to the `idles`-th idle (the one that ends a turn); the event types read. */
export async function readToIdle(anthropic: Anthropic, sessionId: string, idles = 1): Promise<string[]> {
  const types: string[] = [];
  let seen = 0;
  for await (const event of await anthropic.beta.sessions.events.stream(sessionId)) {
    types.push(event.type);
    if (event.type === 'session.status_idle' && ++seen === idles) break;
  }
  return types;
}
