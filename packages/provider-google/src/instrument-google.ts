import { GOVERNED_METHODS, googleMethods, governMethod } from './govern-google-call';

const INSTRUMENTED = Symbol.for('genops.google.instrumented');

/**
 * Governs one `GoogleGenAI` client explicitly: works under ESM, bundlers and with
 * `autoInstrument: false`. Governance applies once `GenOps.init()` has run; before that, calls pass
 * through unchanged. Covers `models.generateContent`, `models.generateContentStream`,
 * `models.embedContent` and `chats`, which go through the same `models` object.
 *
 * @example
 * const ai = instrumentGoogleGenAI(new GoogleGenAI({ apiKey: process.env.GEMINI_API_KEY }));
 */
export function instrumentGoogleGenAI<T extends object>(client: T): T {
  const target = client as Record<PropertyKey, any>;
  if (target[INSTRUMENTED]) return client;
  const models = target.models;
  if (typeof models?.generateContentInternal !== 'function' || typeof models?.generateContent !== 'function') {
    throw new TypeError(
      'instrumentGoogleGenAI(client) expects a client created by `new GoogleGenAI()` (@google/genai 3).',
    );
  }
  for (const [name, kind] of Object.entries(GOVERNED_METHODS)) {
    const current = models[name];
    if (typeof current !== 'function') continue;
    // The SDK's own method underneath even if the prototype is patched, so a call is governed once.
    if (googleMethods.isGoverned(current) && Object.hasOwn(models, name)) continue;
    models[name] = governMethod(googleMethods.unwrap(current), kind);
  }
  Object.defineProperty(target, INSTRUMENTED, { value: true });
  return client;
}
