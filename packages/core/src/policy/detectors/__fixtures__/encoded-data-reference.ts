// The reference `isEncodedData` the hand-written decoder is checked against (its former implementation):
// atob and a fatal TextDecoder. A token with a character outside base64 / base64url is not encoded.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function referenceIsEncodedData(token: string): boolean {
  if (/^(?:iVBORw0KGgo|\/9j\/|R0lGOD|JVBERi0|UEsDB|H4sI)/.test(token)) return true;
  const body = token.replace(/=+$/, '');
  const usable = body.length - (body.length % 4);
  if (usable < 16) return false;
  if (!/^[A-Za-z0-9+/_-]*$/.test(body.slice(0, usable))) return false;
  const binary = atob(body.slice(0, usable).replace(/-/g, '+').replace(/_/g, '/'));
  let decoded: string;
  try {
    decoded = utf8.decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return false;
  }
  let printable = 0;
  let total = 0;
  for (const char of decoded) {
    const code = char.codePointAt(0)!;
    total++;
    if (code === 9 || code === 10 || code === 13 || (code >= 32 && code !== 127 && !(code >= 128 && code < 160)))
      printable++;
  }
  return total > 0 && printable / total >= 0.95;
}
