import { describe, expect, it } from 'vitest';
import { isSubscriptionLogin } from '../../../src/proxy/credentials.js';
import { buildMounts, proxyEndpoints, UpstreamUrlError } from '../../../src/proxy/mounts.js';
import { resolveRoute } from '../../../src/proxy/server.js';

describe('proxy mounts', () => {
  it('forwards to the public endpoints when the user set no base URL', () => {
    const mounts = buildMounts({});
    expect(mounts.get('anthropic')!.upstream.url.href).toBe('https://api.anthropic.com/');
    expect(mounts.get('openai')!.upstream.url.href).toBe('https://api.openai.com/v1');
    expect(mounts.get('openai-host')!.upstream.url.href).toBe('https://api.openai.com/');
    expect(mounts.get('gemini')!.upstream.url.href).toBe('https://generativelanguage.googleapis.com/');
  });

  it("chains to a base URL the user already had (first variable set wins)", () => {
    const mounts = buildMounts({ ANTHROPIC_BASE_URL: 'http://gw.local:8080/anthropic', OPENAI_API_BASE: 'https://proxy.example/v1', GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:9/' });
    expect(mounts.get('anthropic')!.upstream.url.href).toBe('http://gw.local:8080/anthropic');
    expect(mounts.get('openai')!.upstream.url.href).toBe('https://proxy.example/v1');
    expect(mounts.get('gemini')!.upstream.url.href).toBe('http://127.0.0.1:9/');
    // A user's own upstream is kept for subscription logins too.
    expect(mounts.get('openai')!.subscriptionUpstream).toBeUndefined();
  });

  it('names the variable and value when a base URL is not a URL', () => {
    expect(() => buildMounts({ OPENAI_BASE_URL: 'ftp://x' })).toThrow(UpstreamUrlError);
    expect(() => buildMounts({ OPENAI_BASE_URL: 'nope' })).toThrow('Expected OPENAI_BASE_URL to be an http(s) URL (capped forwards to it), got `nope`.');
  });

  it('sends Codex ChatGPT-login requests to ChatGPT’s backend and API-key requests to the API', () => {
    const openai = buildMounts({}).get('openai')!;
    expect(resolveRoute(openai, 'POST', '/responses', { 'chatgpt-account-id': 'acc' }).upstream.url.href).toBe('https://chatgpt.com/backend-api/codex');
    const apiKey = resolveRoute(openai, 'POST', '/responses', { authorization: 'Bearer sk-x' });
    expect(apiKey.upstream.url.href).toBe('https://api.openai.com/v1');
    expect(apiKey.provider.id).toBe('openai-responses');
    expect(resolveRoute(openai, 'POST', '/chat/completions', {}).provider.id).toBe('openai-chat');
    expect(resolveRoute(openai, 'GET', '/models', {}).provider.id).toBe('openai-responses');
  });

  it('gives agents one base URL per wire format', () => {
    expect(proxyEndpoints('http://127.0.0.1:1/s')).toEqual({
      anthropic: 'http://127.0.0.1:1/s/anthropic',
      openai: 'http://127.0.0.1:1/s/openai',
      openaiHost: 'http://127.0.0.1:1/s/openai-host',
      gemini: 'http://127.0.0.1:1/s/gemini',
    });
  });
});

describe('subscription logins', () => {
  it.each([
    [{ authorization: 'Bearer sk-ant-oat01-abc' }, true],
    [{ authorization: 'Bearer tok', 'anthropic-beta': 'oauth-2025-04-20' }, true],
    [{ 'x-api-key': 'sk-ant-api03', 'anthropic-beta': 'oauth-2025-04-20', authorization: 'Bearer x' }, false],
    [{ 'chatgpt-account-id': 'acc_1', authorization: 'Bearer eyJ' }, true],
    [{ 'x-api-key': 'sk-ant-api03-abc' }, false],
    [{ authorization: 'Bearer sk-proj-abc' }, false],
  ])('%j → %s', (headers, expected) => {
    expect(isSubscriptionLogin(headers)).toBe(expected);
  });
});
