import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeRoutes, type FakeRoutes } from '../fixtures/fake-routes.mjs';
import { fixture, runCapped, agentOutput, type AgentOutput } from './helpers/run-capped.js';

// Fail closed on routes: what is not generation is free by the route table, priced and reserved
// before it is sent (batches, images, embeddings), or refused naming the route and allowRoutes.

let upstream: FakeRoutes | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

const messageOf = (out: AgentOutput): string => (JSON.parse(out.body) as { error: { message: string } }).error.message;

/** One request from the fake agent through capped to the fake routes upstream. */
async function oneRequest(args: string[], request: { method?: string; path: string; body?: unknown; openai?: boolean }, cwd?: string) {
  upstream ??= await startFakeRoutes();
  const env: Record<string, string> = {
    ANTHROPIC_BASE_URL: upstream.url,
    OPENAI_BASE_URL: `${upstream.url}/v1`,
    FAKE_PATH: request.path,
    FAKE_METHOD: request.method ?? 'POST',
    FAKE_BODY: JSON.stringify(request.body ?? {}),
  };
  if (request.openai) env.FAKE_BASE_VAR = 'OPENAI_BASE_URL';
  const result = await runCapped(['run', ...args, '--', process.execPath, fixture('one-request-agent.mjs')], { env, ...(cwd ? { cwd } : {}) });
  return { result, out: agentOutput(result.stdout), up: upstream };
}

/** An Anthropic Message Batch of `count` Sonnet requests, each allowed `maxTokens` of output. */
function batch(count: number, maxTokens: number) {
  return {
    requests: Array.from({ length: count }, (_, i) => ({
      custom_id: `r${i}`,
      params: { model: 'claude-sonnet-4-5', max_tokens: maxTokens, messages: [{ role: 'user', content: `question ${i}: ${'lorem ipsum '.repeat(50)}` }] },
    })),
  };
}

/**
 * What capped reserves for a batch: each request's input estimate (a fresh run estimates 1 token
 * per 3 bytes) and its whole max_tokens, at Sonnet's $3/$15 per million, halved (batch rates).
 */
function batchReservationUsd(body: ReturnType<typeof batch>): number {
  let nano = 0;
  for (const r of body.requests) {
    const input = Math.ceil(Buffer.byteLength(JSON.stringify(r.params)) / 3);
    nano += Math.ceil((input * 3000 + r.params.max_tokens * 15000) / 2);
  }
  return nano / 1e9;
}

describe('Message Batches', () => {
  it('are reserved in full at batch rates before they are sent, and charged at the reservation (estimated)', async () => {
    const body = batch(3, 4000);
    // The batch generates less than its ceilings: the charge stays the reservation, which covers it.
    upstream = await startFakeRoutes({ batchOutput: 1500 });
    const { result, out, up } = await oneRequest(['--max-usd', '1'], { path: '/v1/messages/batches', body });
    expect(result.code, result.stderr).toBe(0);
    expect(out.status).toBe(200);
    expect(up.bill.received).toHaveLength(1);
    const record = result.record!;
    expect(record.spent.requests).toBe(1);
    expect(record.spent.usd).toBeCloseTo(batchReservationUsd(body), 9);
    expect(record.spent.usd).toBeGreaterThanOrEqual(up.billedUsd());
    expect(record.spent.outputTokens).toBe(12_000);
    expect(record.estimated).toBe(true);
    expect(result.stderr).toMatch(/claude-sonnet-4-5 · in [\d,]+ out 12,000 .* · estimated: charged at its reservation\n/);
  });

  it('that do not fit the cap are refused before they are sent, and never pass it', async () => {
    // $0.18 at batch rates against a $0.10 cap.
    const body = batch(3, 8000);
    expect(batchReservationUsd(body)).toBeGreaterThan(0.18);
    const { result, out, up } = await oneRequest(['--max-usd', '0.10'], { path: '/v1/messages/batches', body });
    expect(out.status).toBe(402);
    expect(out.shouldRetry).toBe('false');
    expect(JSON.parse(out.body)).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
    expect(messageOf(out)).toMatch(/spending cap of \$0\.10 is reached \(.*the next request needs at least \$0\.18/);
    expect(up.bill.received).toHaveLength(0);
    expect(up.billedUsd()).toBe(0);
    expect(result.code).toBe(3);
    expect(result.record!.spent.usd).toBe(0);
    expect(result.record!.hardStop?.reason).toBe('usd');
  });

  it('are refused before they are sent when the policy says batches: refuse', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-routes-'));
    fs.writeFileSync(path.join(dir, '.budgetrc'), 'batches: refuse\n');
    const { result, out, up } = await oneRequest(['--max-usd', '5'], { path: '/v1/messages/batches', body: batch(1, 100) }, dir);
    expect(out.status).toBe(400);
    expect(out.shouldRetry).toBe('false');
    expect(messageOf(out)).toBe(
      "capped: POST /v1/messages/batches is a batch, billed after the run, and this run's policy refuses batches (batches: refuse), so it was not sent. Send the requests one by one, or set batches: reserve in .budgetrc.",
    );
    expect(up.bill.received).toHaveLength(0);
    expect(result.code, result.stderr).toBe(0);
    expect(result.record!.hardStop).toBeNull();
  });

  it('naming a model without a price are refused, naming the model', async () => {
    const body = { requests: [{ custom_id: 'a', params: { model: 'claude-mystery-9', max_tokens: 10, messages: [] } }] };
    const { result, out, up } = await oneRequest(['--max-usd', '1'], { path: '/v1/messages/batches', body });
    expect(out.status).toBe(400);
    expect(messageOf(out)).toContain('POST /v1/messages/batches asks for model "claude-mystery-9"');
    expect(up.bill.received).toHaveLength(0);
    expect(result.code, result.stderr).toBe(0);
  });

  it('of OpenAI, whose requests sit in an uploaded file capped never saw, are refused in OpenAI shape', async () => {
    const { result, out, up } = await oneRequest(['--max-usd', '1'], {
      path: '/batches',
      openai: true,
      body: { input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '24h' },
    });
    expect(out.status).toBe(400);
    expect(out.shouldRetry).toBe('false');
    expect(JSON.parse(out.body)).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(messageOf(out)).toContain('POST /batches runs the requests of an uploaded file (file-1) that capped cannot see');
    expect(messageOf(out)).toContain('allowRoutes: ["POST /batches"]');
    expect(up.bill.received).toHaveLength(0);
    expect(result.code, result.stderr).toBe(0);
  });

  /** The batch agent: uploads its JSONL input file through capped, then creates the batch. */
  async function openaiBatch(args: string[], env: Record<string, string>) {
    upstream = await startFakeRoutes();
    const result = await runCapped(['run', ...args, '--', process.execPath, fixture('openai-batch-agent.mjs')], {
      env: { OPENAI_BASE_URL: `${upstream.url}/v1`, ...env },
    });
    return { result, out: agentOutput(result.stdout) as AgentOutput & { upload: number }, up: upstream };
  }

  it('of OpenAI, whose input file was uploaded through capped, are reserved in full at batch rates', async () => {
    const { result, out, up } = await openaiBatch(['--max-usd', '1'], { FAKE_LINES: '4', FAKE_MAX_TOKENS: '2000' });
    expect(result.code, result.stderr).toBe(0);
    expect(out.upload).toBe(200);
    expect(out.status).toBe(200);
    expect(up.bill.received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /v1/files', 'POST /v1/batches']);
    const record = result.record!;
    // 4 x 2,000 output tokens at gpt-4.1's $8 per million, halved: $0.032, plus the inputs.
    expect(record.spent.outputTokens).toBe(8000);
    expect(record.spent.usd).toBeGreaterThan(0.032);
    expect(record.spent.usd).toBeGreaterThanOrEqual(up.billedUsd());
    expect(record.spent.usd).toBeLessThan(0.04);
    expect(record.estimated).toBe(true);
    expect(record.models['gpt-4.1']?.requests).toBe(1);
  });

  it('of OpenAI that do not fit are refused before they are sent', async () => {
    // 10 x 16,000 output tokens at $4 per million (batch): $0.64 against $0.25.
    const { result, out, up } = await openaiBatch(['--max-usd', '0.25'], { FAKE_LINES: '10', FAKE_MAX_TOKENS: '16000' });
    expect(out.upload).toBe(200);
    expect(out.status).toBe(400);
    expect(messageOf(out)).toMatch(/spending cap of \$0\.25 is reached \(.*the next request needs at least \$0\.6/);
    expect(up.bill.received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /v1/files']);
    expect(up.billedUsd()).toBe(0);
    expect(result.code).toBe(3);
  });
});

describe('images, embeddings and audio', () => {
  it('refuses an image request without a model (the API would bill dall-e-2 per image), naming the route', async () => {
    const { result, out, up } = await oneRequest(['--max-usd', '1'], { path: '/images/generations', openai: true, body: { prompt: 'a cat', n: 4 } });
    expect(out.status).toBe(400);
    expect(out.shouldRetry).toBe('false');
    expect(messageOf(out)).toContain('capped: POST /images/generations asks for model "dall-e-2", which capped cannot price');
    expect(up.bill.received).toHaveLength(0);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('refused: POST /images/generations');
  });

  it('prices gpt-image-1 images and charges the usage the response reports', async () => {
    const { result, out, up } = await oneRequest(['--max-usd', '1'], {
      path: '/images/generations',
      openai: true,
      body: { model: 'gpt-image-1', prompt: 'a cat on a mat', n: 2 },
    });
    expect(out.status).toBe(200);
    expect(result.code, result.stderr).toBe(0);
    expect(up.billedUsd()).toBeGreaterThan(0.08);
    expect(result.record!.spent.usd).toBeCloseTo(up.billedUsd(), 9);
    expect(result.record!.estimated).toBe(false);
    expect(result.record!.models['gpt-image-1']?.requests).toBe(1);
  });

  it('refuses an image request that does not fit whole, before sending it', async () => {
    // 4 images reserve 4 x 6,240 output tokens at $40 per million: about $1.
    const { out, up } = await oneRequest(['--max-usd', '0.50'], {
      path: '/images/generations',
      openai: true,
      body: { model: 'gpt-image-1', prompt: 'a cat', n: 4 },
    });
    expect(out.status).toBe(400);
    expect(messageOf(out)).toMatch(/spending cap of \$0\.50 is reached/);
    expect(up.bill.received).toHaveLength(0);
  });

  it('charges embeddings exactly', async () => {
    const { result, out, up } = await oneRequest(['--max-usd', '1'], {
      path: '/embeddings',
      openai: true,
      body: { model: 'text-embedding-3-small', input: 'lorem ipsum '.repeat(100) },
    });
    expect(out.status).toBe(200);
    expect(result.record!.spent.usd).toBeGreaterThan(0);
    expect(result.record!.spent.usd).toBeCloseTo(up.billedUsd(), 12);
    expect(result.record!.estimated).toBe(false);
  });

  it('refuses audio, which it cannot bound before it is sent', async () => {
    const { out, up } = await oneRequest(['--max-usd', '1'], {
      path: '/audio/speech',
      openai: true,
      body: { model: 'tts-1', input: 'hello '.repeat(1000), voice: 'alloy' },
    });
    expect(out.status).toBe(400);
    expect(messageOf(out)).toContain('capped: POST /audio/speech audio is billed by duration or audio tokens');
    expect(up.bill.received).toHaveLength(0);
  });
});

describe('any other route with a body', () => {
  it('is refused in the provider’s shape, naming the route and allowRoutes', async () => {
    const { result, out, up } = await oneRequest(['--max-usd', '1'], {
      method: 'PUT',
      path: '/v1/messages',
      body: { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [] },
    });
    expect(out.status).toBe(400);
    expect(out.shouldRetry).toBe('false');
    expect(JSON.parse(out.body)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(messageOf(out)).toBe(
      'capped: PUT /v1/messages is not a route capped knows to be free or can meter, so the request was refused to keep the cap intact (it was not sent). ' +
        'If this route costs nothing, or you accept that it passes unmetered, allow it in .budgetrc: allowRoutes: ["PUT /v1/messages"].',
    );
    expect(up.bill.received).toHaveLength(0);
    expect(result.code, result.stderr).toBe(0);
    expect(result.record!.hardStop).toBeNull();
  });

  it('passes unmetered when .budgetrc names it in allowRoutes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-routes-'));
    fs.writeFileSync(path.join(dir, '.budgetrc'), 'allowRoutes: ["PUT /v1/things/*"]\n');
    const { result, out, up } = await oneRequest(['--max-usd', '1'], { method: 'PUT', path: '/v1/things/t_1', body: { name: 'x' } }, dir);
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body)).toEqual({ ok: true, put: '/v1/things/t_1' });
    expect(up.bill.received.map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /v1/things/t_1']);
    expect(result.record!.spent.requests).toBe(0);
    // Another route is still refused.
    const other = await oneRequest(['--max-usd', '1'], { method: 'PUT', path: '/v1/other', body: {} }, dir);
    expect(other.out.status).toBe(400);
  });

  it('rejects an allowRoutes entry that is not "METHOD /path" before anything starts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-routes-'));
    fs.writeFileSync(path.join(dir, '.budgetrc'), 'allowRoutes: ["/v1/things"]\n');
    const result = await runCapped(['run', '--', 'true'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('allowRoutes');
    expect(result.stderr).toContain('a route: a method (or *) and a path starting with /, such as "POST /v1/files"');
  });
});

describe('WebSockets', () => {
  it('are refused on any route but the Responses API’s (the Realtime API bills audio as it streams)', async () => {
    upstream = await startFakeRoutes();
    const agent = `
      import http from 'node:http';
      const req = http.request(process.env.OPENAI_BASE_URL + '/realtime?model=gpt-realtime', {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('upgrade', () => { console.log(JSON.stringify({ status: 101 })); process.exit(0); });
      req.on('response', (res) => { let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body }))); });
      req.end();`;
    const result = await runCapped(['run', '--max-usd', '1', '--', process.execPath, '--input-type=module', '-e', agent], {
      env: { OPENAI_BASE_URL: `${upstream.url}/v1` },
    });
    const out = JSON.parse(result.stdout.trim().split('\n').pop()!) as { status: number; body: string };
    expect(out.status).toBe(400);
    expect(out.body).toContain('capped: /realtime does not take WebSocket connections through capped');
    expect(upstream.bill.received).toHaveLength(0);
  });
});
