import { describe, expect, it } from 'vitest';
import { isSubscriptionLogin } from '../../../src/proxy/credentials.js';
import { buildMounts, pathFixer, proxyEndpoints, routeEndpoints, UpstreamUrlError } from '../../../src/proxy/mounts.js';
import { parseTarget, resolveRoute } from '../../../src/proxy/target.js';

describe('proxy mounts', () => {
  it('forwards to the public endpoints when the user set no base URL', () => {
    const mounts = buildMounts({});
    expect(mounts.get('anthropic')!.upstream.url.href).toBe('https://api.anthropic.com/');
    expect(mounts.get('openai')!.upstream.url.href).toBe('https://api.openai.com/v1');
    expect(mounts.get('openai-host')!.upstream.url.href).toBe('https://api.openai.com/');
    expect(mounts.get('gemini')!.upstream.url.href).toBe('https://generativelanguage.googleapis.com/');
  });

  it('chains to a base URL the user already had (first variable set wins)', () => {
    const mounts = buildMounts({
      ANTHROPIC_BASE_URL: 'http://gw.local:8080/anthropic',
      OPENAI_API_BASE: 'https://proxy.example/v1',
      GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:9/',
    });
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

  it("adds a mount per base URL from the agent's own settings, each with its own upstream and wire format", () => {
    const routes = [
      { family: 'openai' as const, upstream: 'http://127.0.0.1:9/v1', from: '--openai-base-url' },
      { family: 'anthropic' as const, upstream: 'https://gw.example/v1', from: 'provider.anthropic.options.baseURL in /p/opencode.json' },
    ];
    const mounts = buildMounts({}, routes);
    expect(mounts.get('route-0')!.upstream.url.href).toBe('http://127.0.0.1:9/v1');
    expect(mounts.get('route-1')!.providers.map((p) => p.id)).toEqual(['anthropic']);
    expect(routeEndpoints('http://127.0.0.1:1/s', routes)).toEqual(['http://127.0.0.1:1/s/route-0', 'http://127.0.0.1:1/s/route-1']);
    expect(() => buildMounts({}, [{ family: 'openai', upstream: 'gw.example', from: 'modelProviders.openai[0].baseUrl in /h/.qwen/settings.json' }])).toThrow(
      'Expected modelProviders.openai[0].baseUrl in /h/.qwen/settings.json to be an http(s) URL',
    );
  });

  it.each([
    // A base URL ending in the version is not chained to /v1/v1 by an agent that sends the full path.
    ['anthropic', 'https://gw.example/v1', '/v1/messages?beta=true', '/messages?beta=true'],
    // An AI-SDK agent leaves the version out: it goes through as sent to a gateway's own path...
    ['anthropic', 'https://gw.example/v1', '/messages', '/messages'],
    ['anthropic', 'https://gw.example/anthropic', '/messages', '/messages'],
    // ...and gets it added for a bare host, as the AI SDK does for api.anthropic.com.
    ['anthropic', 'https://api.anthropic.com', '/messages', '/v1/messages'],
    ['anthropic', 'https://api.anthropic.com', '/v1/messages', '/v1/messages'],
    ['gemini', 'https://generativelanguage.googleapis.com', '/models/g:streamGenerateContent?alt=sse', '/v1beta/models/g:streamGenerateContent?alt=sse'],
    ['gemini', 'https://gw.example/v1beta', '/v1beta/models/g:generateContent', '/models/g:generateContent'],
    ['openai', 'https://api.openai.com/v1', '/chat/completions', '/chat/completions'],
    ['openai', 'https://api.openai.com/v1', '/v1/responses', '/responses'],
    ['openai', 'https://api.openai.com', '/v1/responses', '/v1/responses'],
    ['openai', 'https://api.deepseek.com', '/chat/completions', '/chat/completions'],
    // Only the paths AI-SDK agents leave unversioned get the version; anything else is left alone.
    ['gemini', 'https://generativelanguage.googleapis.com', '/upload/v1beta/files?uploadType=resumable', '/upload/v1beta/files?uploadType=resumable'],
    ['anthropic', 'https://api.anthropic.com', '/messages?beta=true', '/v1/messages?beta=true'],
    ['anthropic', 'https://api.anthropic.com', '/messagesX', '/messagesX'],
  ] as const)('%s mount to %s: %s goes upstream as %s', (family, upstream, sent, expected) => {
    expect(pathFixer(family, upstream)(sent)).toBe(expected);
  });

  it('meters an AI-SDK Anthropic request at the anthropic mount (parseTarget applies the fix)', () => {
    const mounts = buildMounts({});
    const target = parseTarget({ secret: 's', mounts }, '/s/anthropic/messages', 'POST', {});
    expect(target.ok && target.pathAndQuery).toBe('/v1/messages');
    expect(target.ok && target.route.provider.classify('POST', target.path)).toBe('generate');
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
