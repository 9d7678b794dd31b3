// A Gemini Live client written on the `undici` package's own WebSocket class, imported statically (the
// class is read when this module links, before any app code runs): setup, one text turn, close. Prints what
// it sees. LIVE_URL is the session's URL.
import { WebSocket } from 'undici';

const socket = new WebSocket(process.env.LIVE_URL);
socket.addEventListener('open', () =>
  socket.send(JSON.stringify({ setup: { model: 'models/gemini-3.1-flash-live-preview' } })),
);
socket.addEventListener('message', async (event) => {
  const message = JSON.parse(await event.data.text());
  if (message.setupComplete) {
    console.log('setup complete');
    socket.send(JSON.stringify({ clientContent: { turns: [{ role: 'user', parts: [{ text: 'Hi' }] }], turnComplete: true } }));
  }
  for (const part of message.serverContent?.modelTurn?.parts ?? []) if (part.text) console.log(`text: ${part.text}`);
  if (message.serverContent?.turnComplete) socket.close();
});
socket.addEventListener('error', (event) => {
  console.log(`error: ${event.error?.name}: ${event.message}`);
  socket.close();
});
socket.addEventListener('close', () => console.log('closed'));
