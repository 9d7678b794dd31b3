// Two copies of core in one process (the ESM build under `--import @genops/core/register`, the CommonJS
// build an adapter `require`s) share the Managed Agents registry: a module loaded twice stands for them.
import { describe, expect, it, vi } from 'vitest';

describe('the Managed Agents registry', () => {
  it('is one per process: a second copy of the module sees the sessions and agents the first learnt', async () => {
    const first = await import('./managed-agents');
    vi.resetModules();
    const second = await import('./managed-agents');
    expect(second).not.toBe(first);
    first.rememberSession({ id: 'sesn_registry_1', agent: { model: 'claude-haiku-4-5' } });
    first.rememberAgent({ id: 'agent_registry_1', model: { id: 'claude-sonnet-4-5', speed: 'standard' } });
    expect(second.knownSessionAgent('sesn_registry_1')?.model).toBe('claude-haiku-4-5');
    expect(second.knownAgent('agent_registry_1')?.model).toBe('claude-sonnet-4-5');
  });
});
