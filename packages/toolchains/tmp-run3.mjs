import { spawn } from 'node:child_process';
import { startFakeOpenAI } from '@genops/testing';

const server = await startFakeOpenAI();
const host = new URL(server.url).host;
const file = process.argv[2];
const child = spawn(process.execPath, [file], {
  env: {
    ...process.env,
    FAKE_OPENAI_URL: server.url,
    DEBUG_APP: '1',
    APP_INIT: '1',
    GENOPS_EGRESS_HOSTS: host,
    FAKE_MODEL: 'gpt-4o-mini',
  },
  cwd: '/tmp',
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));
await new Promise((r) => setTimeout(r, 8000));
child.kill('SIGKILL');
console.log(out.slice(0, 500), 'requests:', server.requests.length);
await server.close();
