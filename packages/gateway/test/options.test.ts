// Gateway settings: options over the policy file's gateway: section over the environment; a bad
// setting is a ConfigError naming the field, and never shows a key.
import { ConfigError } from '@genops/core';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { hashKey, resolveSettings } from '../src/options';
import { TEAM_A_KEY, useGateway } from './gateway-setup';

function configError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('gateway settings', () => {
  it('defaults: 127.0.0.1, a free port, upstreams from OPENAI_API_KEY / ANTHROPIC_API_KEY', () => {
    const settings = resolveSettings({}, undefined, { OPENAI_API_KEY: 'sk-env' });
    expect(settings.host).toBe('127.0.0.1');
    expect(settings.port).toBe(0);
    expect(settings.upstreams.openai).toMatchObject({
      origin: 'https://api.openai.com',
      basePath: '/v1',
      headers: { authorization: 'Bearer sk-env' },
    });
    expect(settings.upstreams.anthropic).toBeUndefined();
  });

  it('options over the environment over the file section', () => {
    const file = {
      host: '0.0.0.0',
      port: 8080,
      upstreams: { anthropic: { baseUrl: 'http://127.0.0.1:9999', apiKeyEnv: 'MY_ANTHROPIC' } },
      virtualKeys: [{ name: 'from-file', keyHash: `sha256:${hashKey('gk-file')}`, attribution: { team: 'f' } }],
    };
    const env = { GENOPS_GATEWAY_PORT: '9090', MY_ANTHROPIC: 'sk-ant' };
    const fromFile = resolveSettings({}, file, env);
    expect(fromFile.host).toBe('0.0.0.0');
    expect(fromFile.port).toBe(9090);
    expect(fromFile.upstreams.anthropic).toMatchObject({
      origin: 'http://127.0.0.1:9999',
      basePath: '/v1',
      headers: { 'x-api-key': 'sk-ant' },
    });
    expect(fromFile.keys.get(hashKey('gk-file'))).toMatchObject({
      name: 'from-file',
      attribution: { team: 'f', virtualKey: 'from-file' },
    });
    const overridden = resolveSettings({ host: '127.0.0.1', port: 1234 }, file, env);
    expect([overridden.host, overridden.port]).toEqual(['127.0.0.1', 1234]);
  });

  it('a bad field is a ConfigError naming it, with what was expected', () => {
    const error = configError(() =>
      resolveSettings({}, { virtualKeys: [{ name: 'k', keyHash: 'md5:abc' }] }, { OPENAI_API_KEY: 'x' }),
    );
    expect(error.path).toBe('gateway.virtualKeys[0].keyHash');
    expect(error.message).toContain('sha256:');
    const port = configError(() => resolveSettings({}, undefined, { GENOPS_GATEWAY_PORT: 'eighty' }));
    expect(port.path).toBe('GENOPS_GATEWAY_PORT');
    const unknown = configError(() => resolveSettings({}, { upstream: {} }, {}));
    expect(unknown.message).toContain('upstream');
  });

  it('a problem with a key never shows the key', () => {
    const error = configError(() =>
      resolveSettings({ virtualKeys: [{ name: 'k', key: 'gk-secret-value', keyEnv: 'ALSO' }] }, undefined, {}),
    );
    expect(error.path).toBe('startGateway(options).virtualKeys[0]');
    expect(error.message).not.toContain('gk-secret-value');
    const apiKey = configError(() => resolveSettings({ upstreams: { openai: { apiKey: '' } } }, undefined, {}));
    expect(apiKey.path).toBe('startGateway(options).upstreams.openai.apiKey');
    expect(apiKey.received).toBe('(hidden)');
  });

  it('a key or upstream key read from an unset environment variable is an error naming the field', () => {
    expect(
      configError(() => resolveSettings({}, { virtualKeys: [{ name: 'k', keyEnv: 'NOT_SET_ANYWHERE' }] }, {})).path,
    ).toBe('gateway.virtualKeys[0].keyEnv');
    expect(configError(() => resolveSettings({}, { upstreams: { openai: { apiKeyEnv: 'NOPE' } } }, {})).path).toBe(
      'gateway.upstreams.openai.apiKeyEnv',
    );
  });

  it('an ordered list of upstreams: the first is used, the rest are its fallbacks; a problem names the entry', () => {
    const file = {
      upstreams: {
        openai: [
          { baseUrl: 'http://127.0.0.1:1001/v1', apiKey: 'sk-one' },
          { baseUrl: 'http://127.0.0.1:1002/v1', apiKeyEnv: 'SECOND_KEY' },
        ],
      },
    };
    const settings = resolveSettings({}, file, { SECOND_KEY: 'sk-two' });
    expect(settings.upstreams.openai).toMatchObject({
      origin: 'http://127.0.0.1:1001',
      headers: { authorization: 'Bearer sk-one' },
      fallbacks: [{ origin: 'http://127.0.0.1:1002', headers: { authorization: 'Bearer sk-two' }, fallbacks: [] }],
    });
    const missing = configError(() => resolveSettings({}, file, {}));
    expect(missing.path).toBe('gateway.upstreams.openai[1].apiKeyEnv');
    const empty = configError(() => resolveSettings({}, { upstreams: { openai: [] } }, {}));
    expect(empty.path).toBe('gateway.upstreams.openai');
  });

  it('two virtual keys with the same key are refused', () => {
    const error = configError(() =>
      resolveSettings(
        {
          virtualKeys: [
            { name: 'one', key: 'same' },
            { name: 'two', keyHash: `sha256:${hashKey('same')}` },
          ],
        },
        undefined,
        {},
      ),
    );
    expect(error.message).toContain('"two" has the same key as "one"');
  });
});

describe('gateway plugins', () => {
  const setup = useGateway();

  it('mounts fastify plugins at their prefix, with the GenOps instance on the server', async () => {
    const plugin = async (app: FastifyInstance) => {
      app.get('/version', async () => ({ policyVersion: app.genops.policyVersion }));
    };
    const gateway = await setup.start({}, { plugins: [{ plugin, prefix: '/console' }] });
    const response = await fetch(`${gateway.url}/console/version`, {
      headers: { authorization: `Bearer ${TEAM_A_KEY}` },
    });
    expect(await response.json()).toEqual({ policyVersion: gateway.genops.policyVersion });
  });
});
