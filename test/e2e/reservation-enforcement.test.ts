import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { fixture, runCapped } from './helpers/run-capped.js';

// What capped enforces itself rather than trusting the upstream or the body (issues 9 and 10):
// an upstream that ignores the output ceiling, input the body does not show, and the record of
// the risk the cache-aware reservation took.
let upstream: FakeAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

describe('an upstream that ignores max_tokens', () => {
  it('is cut by capped in a stream: nothing billed over the cap', async () => {
    // It always answers 6,000 tokens ($0.09 of output each), whatever ceiling capped sends.
    upstream = await startFakeAnthropic({ outputTokens: () => 6000, ignoreMaxTokens: true, chunkDelayMs: 3 });
    const result = await runCapped(['run', '--max-usd', '0.10', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, FAKE_MAX_TOKENS: '8000' },
    });
    expect(result.code, result.stderr).toBe(3);
    expect(upstream.billedUsd()).toBeLessThanOrEqual(0.1);
    expect(result.record!.spent.usd).toBeLessThanOrEqual(0.1);
    expect(result.record!.hardStop?.reason).toBe('usd');
    // Before capped enforced the bound itself: $0.30 billed against a $0.10 cap, no hard stop, exit 0.
    // The first request is clamped to what $0.10 pays for (8,000 tokens would not fit); the upstream
    // ignores the clamp, and capped cuts the stream there.
    expect(upstream.bill.requests.length).toBe(1);
    expect(upstream.bill.requests[0]!.usage.output).toBeGreaterThan(upstream.bill.requests[0]!.maxTokens * 0.5);
  });

  it('is charged exactly when read whole, stops the run and is flagged in the record', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 6000, ignoreMaxTokens: true });
    const result = await runCapped(['run', '--max-usd', '0.10', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, FAKE_MAX_TOKENS: '8000', FAKE_STREAM: '0' },
    });
    expect(result.code, result.stderr).toBe(3);
    // The first answer ($0.09 + input) fits; the second is clamped, overruns, is charged exactly, and stops the run.
    expect(result.record!.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
    expect(result.record!.upstreamNonCompliant).toBe(true);
    expect(result.record!.hardStop?.reason).toBe('usd');
    expect(result.stderr).toContain('ignores output limits');
    expect(upstream.bill.requests.length).toBe(result.record!.spent.requests);
  });
});

describe('input the body does not show', () => {
  it('is counted exactly by the provider before the request is decided, and the count is recorded', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 300, hiddenTokens: { file_doc: 60_000 } });
    const body = {
      model: 'claude-haiku-4-5',
      max_tokens: 1000,
      stream: true,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'file', file_id: 'file_doc' } },
            { type: 'text', text: 'Summarise it.' },
          ],
        },
      ],
    };
    // 60,000 hidden tokens on Haiku cost $0.06: a byte estimate would see a few tokens.
    const fits = await runCapped(['run', '--max-usd', '0.10', '--', process.execPath, fixture('one-request-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, FAKE_BODY: JSON.stringify(body) },
    });
    expect(fits.code, fits.stderr).toBe(0);
    expect(upstream.bill.countCalls).toBe(1);
    expect(fits.record!.reservation?.countCalls).toBe(1);
    expect(fits.record!.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
    // Counted, it is reserved at its real size: under a $0.05 cap it is refused before it is sent.
    const before = upstream.bill.requests.length;
    const refused = await runCapped(['run', '--max-usd', '0.05', '--', process.execPath, fixture('one-request-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url, FAKE_BODY: JSON.stringify(body) },
    });
    expect(refused.code).toBe(3);
    expect(upstream.bill.requests.length).toBe(before);
    expect(refused.stdout).toContain('the next request needs at least $0.06');
  });

  it('without a count, the one request whose worst case does not fit is refused with its size, and the run goes on', async () => {
    // OpenAI Chat Completions has no counting endpoint: a file id there can only be priced at its
    // worst, the model's whole context window.
    const { startFakeOpenAI } = await import('../fixtures/fake-openai.mjs');
    const openai = await startFakeOpenAI({ hiddenTokens: { file_doc: 60_000 } });
    try {
      const agent = `
        const res = await fetch(process.env.OPENAI_BASE_URL + '/chat/completions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
          body: JSON.stringify({ model: 'gpt-4o-mini', max_completion_tokens: 100, messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file_doc' } }, { type: 'text', text: 'Summarise it.' }] }] }),
        });
        console.log(JSON.stringify({ status: res.status, body: await res.text() }));`;
      const result = await runCapped(['run', '--max-usd', '0.01', '--', process.execPath, '--input-type=module', '-e', agent], {
        env: { OPENAI_BASE_URL: `${openai.url}/v1` },
      });
      const answer = JSON.parse(result.stdout.trim()) as { status: number; body: string };
      expect(answer.status).toBe(400);
      expect(answer.body).toMatch(/at worst it is [\d,]+ input tokens \(\$0\.0\d+ before any output\)/);
      expect(answer.body).toContain('the run goes on');
      expect(openai.bill.requests.length).toBe(0);
      // One request refused for its own size is not the run's limit.
      expect(result.code, result.stderr).toBe(0);
      expect(result.record!.hardStop).toBeNull();
    } finally {
      await openai.close();
    }
  });
});
