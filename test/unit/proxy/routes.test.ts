import { describe, expect, it } from 'vitest';
import { anthropic } from '../../../src/proxy/providers/anthropic.js';
import { gemini } from '../../../src/proxy/providers/gemini.js';
import { openaiChat } from '../../../src/proxy/providers/openai-chat.js';
import { openaiResponses } from '../../../src/proxy/providers/openai-responses.js';
import { classifyRoute, compileRoutes, isAllowed, routeRefusal } from '../../../src/proxy/routes.js';
import { isRoutePattern } from '../../../src/config/route-pattern.js';
import type { Provider } from '../../../src/proxy/providers/types.js';

const kind = (provider: Provider, method: string, path: string, hasBody = !['GET', 'HEAD', 'DELETE'].includes(method)) =>
  classifyRoute(provider, method, path, hasBody).kind;

describe('the route table', () => {
  it('meters the generation routes of every provider', () => {
    expect(kind(anthropic, 'POST', '/v1/messages')).toBe('generate');
    expect(kind(anthropic, 'POST', '/custom-prefix/v1/messages/')).toBe('generate');
    expect(kind(openaiResponses, 'POST', '/responses')).toBe('generate');
    expect(kind(openaiResponses, 'POST', '/v1/responses/compact')).toBe('generate');
    expect(kind(openaiChat, 'POST', '/chat/completions')).toBe('generate');
    expect(kind(gemini, 'POST', '/v1beta/models/gemini-2.5-flash:streamGenerateContent')).toBe('generate');
  });

  it('passes the free routes: token counting, uploads, cancels, and body-less reads', () => {
    for (const [provider, method, path] of [
      [anthropic, 'POST', '/v1/messages/count_tokens'],
      [anthropic, 'POST', '/v1/files'],
      [anthropic, 'POST', '/v1/skills/skill_1/versions'],
      [anthropic, 'POST', '/v1/messages/batches/msgbatch_1/cancel'],
      [anthropic, 'GET', '/v1/models'],
      [anthropic, 'GET', '/v1/messages/batches/msgbatch_1/results'],
      [anthropic, 'DELETE', '/v1/files/file_1'],
      [openaiResponses, 'POST', '/responses/input_tokens'],
      [openaiResponses, 'POST', '/uploads/upload_1/parts'],
      [openaiResponses, 'POST', '/batches/batch_1/cancel'],
      [openaiResponses, 'POST', '/moderations'],
      [openaiResponses, 'GET', '/models'],
      [gemini, 'POST', '/v1beta/models/gemini-2.5-flash:countTokens'],
      [gemini, 'POST', '/v1beta/models/gemini-2.5-flash%3AcountTokens'],
      [gemini, 'POST', '/upload/v1beta/files'],
      [gemini, 'GET', '/v1beta/models'],
    ] as const) {
      expect(kind(provider, method, path), `${provider.id} ${method} ${path}`).toBe('free');
    }
  });

  it('prices batches, embeddings and images', () => {
    expect(classifyRoute(anthropic, 'POST', '/v1/messages/batches', true)).toEqual({ kind: 'batch', format: 'anthropic' });
    expect(classifyRoute(openaiResponses, 'POST', '/v1/batches', true)).toEqual({ kind: 'batch', format: 'openai' });
    // OpenAI uploads are free, and read on the side so a batch naming one can be priced.
    expect(classifyRoute(openaiResponses, 'POST', '/v1/files', true)).toEqual({ kind: 'upload' });
    expect(classifyRoute(openaiChat, 'POST', '/embeddings', true)).toEqual({ kind: 'priced', shape: 'embeddings' });
    expect(classifyRoute(gemini, 'POST', '/v1beta/models/gemini-embedding-001:embedContent', true)).toEqual({ kind: 'priced', shape: 'embeddings' });
    expect(classifyRoute(openaiResponses, 'POST', '/images/generations', true)).toEqual({ kind: 'priced', shape: 'images' });
  });

  it('refuses known routes it cannot price, saying why', () => {
    for (const [provider, path] of [
      [openaiResponses, '/audio/speech'],
      [openaiResponses, '/v1/audio/transcriptions'],
      [openaiResponses, '/images/edits'],
      [gemini, '/v1beta/models/gemini-2.5-flash:batchGenerateContent'],
      [gemini, '/v1beta/models/imagen-4.0-generate-001:predict'],
    ] as const) {
      const route = classifyRoute(provider, 'POST', path, true);
      expect(route.kind, path).toBe('unpriced');
      expect(route.kind === 'unpriced' && route.why.length).toBeGreaterThan(20);
    }
  });

  it('refuses anything else that carries a body: PUT, PATCH, unknown POSTs, a GET with a body', () => {
    expect(kind(anthropic, 'PUT', '/v1/messages')).toBe('unknown');
    expect(kind(anthropic, 'PATCH', '/v1/models')).toBe('unknown');
    expect(kind(anthropic, 'POST', '/v1/complete')).toBe('unknown');
    // Managed agent sessions and remote triggers run models server-side.
    expect(kind(anthropic, 'POST', '/v1/sessions')).toBe('unknown');
    expect(kind(anthropic, 'POST', '/v1/code/triggers')).toBe('unknown');
    expect(kind(anthropic, 'GET', '/v1/models', true)).toBe('unknown');
    expect(kind(openaiChat, 'POST', '/completions')).toBe('unknown');
    expect(kind(openaiChat, 'POST', '/chat/completions/chatcmpl-1')).toBe('unknown');
    expect(kind(openaiResponses, 'POST', '/realtime/sessions')).toBe('unknown');
    expect(kind(gemini, 'POST', '/v1beta/cachedContents')).toBe('unknown');
    expect(kind(gemini, 'PUT', '/v1beta/models/gemini-2.5-flash:generateContent')).toBe('unknown');
    // A body-less DELETE removes and never generates.
    expect(kind(openaiResponses, 'DELETE', '/responses/resp_1', false)).toBe('free');
  });
});

describe('allowRoutes', () => {
  it('matches the end of the path at a segment boundary, by method or *', () => {
    const allowed = compileRoutes(['POST /v1/audio/speech', '* /things/*/go', 'put /v1/uploads']);
    expect(isAllowed(allowed, 'POST', '/v1/audio/speech')).toBe(true);
    expect(isAllowed(allowed, 'POST', '/proxy-prefix/v1/audio/speech/')).toBe(true);
    expect(isAllowed(allowed, 'GET', '/v1/audio/speech')).toBe(false);
    expect(isAllowed(allowed, 'POST', '/v1/audio/speech2')).toBe(false);
    expect(isAllowed(allowed, 'POST', '/v1/xaudio/speech')).toBe(false);
    expect(isAllowed(allowed, 'PATCH', '/v1/things/t_1/go')).toBe(true);
    expect(isAllowed(allowed, 'PATCH', '/v1/things/a/b/go')).toBe(false);
    expect(isAllowed(allowed, 'PUT', '/v1/uploads')).toBe(true);
    // Regular-expression characters in a path are literal.
    expect(isAllowed(compileRoutes(['POST /v1/a.b']), 'POST', '/v1/axb')).toBe(false);
  });

  it('accepts "METHOD /path" entries only', () => {
    expect(isRoutePattern('POST /v1/files')).toBe(true);
    expect(isRoutePattern('* /v1/*')).toBe(true);
    expect(isRoutePattern('/v1/files')).toBe(false);
    expect(isRoutePattern('POST v1/files')).toBe(false);
    expect(isRoutePattern('POST')).toBe(false);
  });

  it('is named, with the route, in every route refusal', () => {
    const message = routeRefusal('PUT', '/v1/messages/', 'is not a route capped knows to be free or can meter');
    expect(message).toContain('capped: PUT /v1/messages is not a route');
    expect(message).toContain('allowRoutes: ["PUT /v1/messages"]');
  });
});
