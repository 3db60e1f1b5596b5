import { describe, expect, it } from 'vitest';
import { decideHost, hostMatches } from '../../../src/sealed/hosts.js';

const open = { allow: ['*'], deny: [] };

describe('host patterns', () => {
  it('matches exact names, any case, a trailing dot ignored', () => {
    expect(hostMatches('github.com', 'GitHub.com')).toBe(true);
    expect(hostMatches('github.com', 'github.com.')).toBe(true);
    expect(hostMatches('github.com', 'api.github.com')).toBe(false);
    expect(hostMatches('github.com', 'github.com.evil.net')).toBe(false);
  });

  it('lets * stand for any run of characters, dots included', () => {
    expect(hostMatches('*.npmjs.org', 'registry.npmjs.org')).toBe(true);
    expect(hostMatches('*.npmjs.org', 'a.b.npmjs.org')).toBe(true);
    expect(hostMatches('*.npmjs.org', 'npmjs.org')).toBe(false);
    expect(hostMatches('bedrock-runtime.*.amazonaws.com', 'bedrock-runtime.us-east-1.amazonaws.com')).toBe(true);
    expect(hostMatches('*', 'anything.example')).toBe(true);
  });

  it('treats the other characters literally', () => {
    expect(hostMatches('a.b', 'axb')).toBe(false);
    expect(hostMatches('a+b.com', 'a+b.com')).toBe(true);
  });
});

describe('what a sealed run does with a host', () => {
  it('intercepts the provider hosts whatever the lists say', () => {
    expect(decideHost('api.anthropic.com', { allow: [], deny: ['*'] })).toEqual({ kind: 'intercept', mount: 'anthropic' });
    expect(decideHost('API.OPENAI.COM', open)).toEqual({ kind: 'intercept', mount: 'openai' });
    expect(decideHost('chatgpt.com', open)).toEqual({ kind: 'intercept', mount: 'openai' });
    expect(decideHost('generativelanguage.googleapis.com', open)).toEqual({ kind: 'intercept', mount: 'gemini' });
  });

  it('tunnels other hosts the allow list covers, and deny wins over allow', () => {
    expect(decideHost('github.com', open)).toEqual({ kind: 'tunnel' });
    expect(decideHost('github.com', { allow: ['github.com'], deny: [] })).toEqual({ kind: 'tunnel' });
    expect(decideHost('gist.github.com', { allow: ['*'], deny: ['*.github.com'] })).toEqual({
      kind: 'deny',
      reason: 'gist.github.com matches sealedDeny entry "*.github.com"',
    });
    expect(decideHost('github.com', { allow: ['*.npmjs.org'], deny: [] })).toEqual({ kind: 'deny', reason: 'github.com is not in sealedAllow' });
  });

  it('refuses model APIs capped cannot meter unless allowed by name', () => {
    expect(decideHost('cloudcode-pa.googleapis.com', open)).toMatchObject({
      kind: 'deny',
      reason: expect.stringContaining('a model API capped cannot meter') as string,
    });
    expect(decideHost('my-res.openai.azure.com', open).kind).toBe('deny');
    expect(decideHost('openrouter.ai', { allow: ['*', 'openrouter.ai'], deny: [] })).toEqual({ kind: 'tunnel' });
  });

  it('refuses addresses and loopback names unless allowed by name', () => {
    expect(decideHost('160.79.104.10', open)).toMatchObject({ kind: 'deny', reason: expect.stringContaining('an address') as string });
    expect(decideHost('::1', open).kind).toBe('deny');
    expect(decideHost('localhost', open)).toMatchObject({ kind: 'deny', reason: expect.stringContaining("capped's own machine") as string });
    expect(decideHost('10.0.0.5', { allow: ['*', '10.0.0.5'], deny: [] })).toEqual({ kind: 'tunnel' });
    expect(decideHost('10.0.0.5', { allow: ['10.0.0.5'], deny: ['10.*'] }).kind).toBe('deny');
  });
});
