import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error';
import { maskText, maskUrl, openStoreUrl } from './open-store';

describe('maskUrl', () => {
  it('masks the password of the userinfo, up to the last @ (a raw @ in a password)', () => {
    expect(maskUrl('redis://user:p@ss@host:6379')).toBe('redis://user:***@host:6379');
    expect(maskUrl('redis://user:p@s@s@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(maskUrl('redis://user:p%40ss@cache:6379/2')).toBe('redis://user:***@cache:6379/2');
    expect(maskUrl('rediss://:secret@cache:6380')).toBe('rediss://:***@cache:6380');
    expect(maskUrl('redis://user:pa/ss@host:6379')).toBe('redis://user:***@host:6379');
    // A userinfo without a colon may be a token itself.
    expect(maskUrl('https://ghp_token@example.com/x')).toBe('https://***@example.com/x');
  });

  it('masks credential-like query values, and leaves the rest as it is', () => {
    expect(maskUrl('redis://host:6379?password=hunter2&prefix=app')).toBe('redis://host:6379?password=***&prefix=app');
    expect(maskUrl('redis://host:6379/0?pass=x&Access_Token=y&apiKey=z&sig=s&timeoutMs=5')).toBe(
      'redis://host:6379/0?pass=***&Access_Token=***&apiKey=***&sig=***&timeoutMs=5',
    );
    expect(maskUrl('sqlite:./.genops/state.db')).toBe('sqlite:./.genops/state.db');
    expect(maskUrl('redis://127.0.0.1:6379#frag')).toBe('redis://127.0.0.1:6379#frag');
    expect(maskUrl('memory')).toBe('memory');
  });

  it('masks what would be a password in text that does not parse as a URL', () => {
    expect(maskUrl('redis//admin:hunter2@db:6379')).toBe('redis//admin:***@db:6379');
    expect(maskUrl('admin:hunter2@db')).toBe('admin:***@db');
    expect(maskUrl('redis://admin:hun ter2@db:6379')).not.toContain('hun ter2');
  });

  it('masks the secrets of a URL wherever they appear in a message, and every URL in it', () => {
    const url = 'redis://admin:p%40ss@db:6379?token=abc123';
    const message = 'WRONGPASS for p@ss and p%40ss at redis://admin:p@ss@db:6379 (token abc123)';
    const masked = maskText(message, url);
    expect(masked).not.toContain('p@ss');
    expect(masked).not.toContain('abc123');
    expect(masked).toContain('redis://admin:***@db:6379');
    expect(maskText('connect to "https://u:pw@x.example/a?password=q" failed')).toBe(
      'connect to "https://u:***@x.example/a?password=***" failed',
    );
  });
});

describe('openStoreUrl', () => {
  it('refuses an unknown or unparseable store URL with a ConfigError that does not echo the password', () => {
    for (const url of ['postgres://admin:hunter2@db:5432/x', 'redis//admin:hunter2@db:6379', 'admin:hunter2@db']) {
      let error: unknown;
      try {
        openStoreUrl(url);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('unknown store');
      expect((error as ConfigError).message).not.toContain('hunter2');
      expect(JSON.stringify((error as ConfigError).received)).not.toContain('hunter2');
    }
  });

  it('refuses an empty store URL with a ConfigError', () => {
    expect(() => openStoreUrl('  ')).toThrow(ConfigError);
  });
});
