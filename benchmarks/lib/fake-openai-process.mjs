// The fake OpenAI server of @genops/testing in a process of its own, so the benchmarked client's CPU,
// heap and event loop are the client's alone. Started with fork(): it sends `{ url }` once it listens,
// forgets its request log on a `reset` message, and exits when its parent disconnects.
import { startFakeOpenAI } from '@genops/testing';

const server = await startFakeOpenAI();
process.on('message', (message) => {
  if (message === 'reset') {
    server.reset();
    process.send?.('reset-done');
  }
});
process.on('disconnect', async () => {
  await server.close();
  process.exit(0);
});
process.send?.({ url: server.url });
