import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { fixture, runCapped, agentOutput } from './helpers/run-capped.js';

let upstream: FakeAnthropic | null = null;
afterEach(async () => {
  await upstream?.close();
  upstream = null;
});

async function oneRequest(env: Record<string, string>, upstreamOptions = {}) {
  upstream = await startFakeAnthropic(upstreamOptions);
  const result = await runCapped(['run', '--max-usd', '2', '--', process.execPath, fixture('one-request-agent.mjs')], {
    env: { ANTHROPIC_BASE_URL: upstream.url, ...env },
  });
  return { result, up: upstream };
}

describe('the metering proxy', () => {
  it('passes keys, anthropic headers, the query string and the stream through untouched', async () => {
    upstream = await startFakeAnthropic();
    const result = await runCapped(['run', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: `${upstream.url}/custom-prefix`, FAKE_MAX_REQUESTS: '1' },
    });
    expect(result.code, result.stderr).toBe(0);
    const seen = upstream.bill.received[0]!;
    expect(seen.url).toBe('/custom-prefix/v1/messages?beta=true');
    expect(seen.headers['x-api-key']).toBe('sk-test-key');
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen.headers['anthropic-beta']).toBe('fake-beta-1');
    // The key (and the prompt) is never written anywhere capped keeps: not the ledger, not the record.
    const db = fs.readFileSync(path.join(result.home, 'ledger.db'));
    expect(db.includes('sk-test-key')).toBe(false);
    expect(db.includes('lorem ipsum')).toBe(false);
    expect(db.includes(result.record!.id)).toBe(true);
    expect(JSON.stringify(result.record)).not.toContain('sk-test-key');
    expect(result.stderr).not.toContain('sk-test-key');
  });

  it('answers 403 to a request without the per-run secret', async () => {
    const { result, up } = await oneRequest({ FAKE_BASE: 'no-secret' });
    expect(agentOutput(result.stdout).status).toBe(403);
    expect(up.bill.received).toHaveLength(0);
  });

  it('gives the agent a provider-shaped 502 when the upstream is unreachable, and the run goes on', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const result = await runCapped(['run', '--', process.execPath, fixture('one-request-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` },
    });
    expect(result.code, result.stderr).toBe(0);
    const out = agentOutput(result.stdout);
    expect(out.status).toBe(502);
    expect(JSON.parse(out.body)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect((JSON.parse(out.body) as { error: { message: string } }).error.message).toContain('could not reach the upstream API');
    expect(result.record!.spent.usd).toBe(0);
    expect(result.stderr).toContain('could not reach the upstream API');
  });

  it('passes malformed SSE through unchanged and charges an estimate, flagged', async () => {
    const { result } = await oneRequest({}, { mode: 'malformed' });
    expect(result.code, result.stderr).toBe(0);
    expect(agentOutput(result.stdout).body).toContain('data: {this is not json');
    expect(result.record!.estimated).toBe(true);
    expect(result.record!.spent.usd).toBeGreaterThan(0);
    expect(result.stderr).toContain('estimated');
  });

  it('charges a stream cut after the input counts by estimate, never $0', async () => {
    const { result } = await oneRequest({}, { mode: 'cut' });
    expect(result.record!.estimated).toBe(true);
    expect(result.record!.spent.usd).toBeGreaterThan(0);
  });

  it('still charges exactly when the agent hangs up mid-stream', async () => {
    const { result, up } = await oneRequest({ FAKE_ABORT: 'first-chunk' }, { chunkDelayMs: 20 });
    expect(result.code, result.stderr).toBe(0);
    expect(up.bill.requests).toHaveLength(1);
    expect(result.record!.spent.usd).toBeCloseTo(up.billedUsd(), 9);
    expect(result.record!.estimated).toBe(false);
  });

  it('forwards count_tokens without charging it', async () => {
    const { result, up } = await oneRequest({
      FAKE_PATH: '/v1/messages/count_tokens',
      FAKE_BODY: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const out = agentOutput(result.stdout);
    expect(out.status).toBe(200);
    expect((JSON.parse(out.body) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect(up.bill.received).toHaveLength(1);
    expect(result.record!.spent.usd).toBe(0);
    expect(result.record!.spent.requests).toBe(0);
  });

  it('refuses a model it cannot price, naming the model, without contacting the upstream', async () => {
    const { result, up } = await oneRequest({
      FAKE_BODY: JSON.stringify({ model: 'claude-mystery-9', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const out = agentOutput(result.stdout);
    expect(out.status).toBe(400);
    expect(out.shouldRetry).toBe('false');
    expect((JSON.parse(out.body) as { error: { message: string } }).error.message).toContain('no price is known for model "claude-mystery-9"');
    expect(up.bill.received).toHaveLength(0);
  });

  it('refuses in Anthropic error shape with 402 and x-should-retry: false at the limit', async () => {
    upstream = await startFakeAnthropic({ outputTokens: () => 2000 });
    const result = await runCapped(['run', '--max-usd', '0.05', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url },
    });
    expect(result.code).toBe(3);
    const line = result.stderr.split('\n').find((l) => l.startsWith('agent: HTTP 402'))!;
    expect(line).toContain('should-retry=false');
    const body = JSON.parse(line.slice(line.indexOf('{'))) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('billing_error');
    expect(body.error.message).toMatch(/spending cap of \$0\.05 is reached/);
    expect(body.error.message).toContain('--max-usd');
  });
});

describe('capped run and signals', () => {
  it('passes SIGTERM to the agent, then records and exits with its code', async () => {
    upstream = await startFakeAnthropic({ chunkDelayMs: 5 });
    const result = await runCapped(['run', '--max-usd', '50', '--', process.execPath, fixture('looping-agent.mjs')], {
      env: { ANTHROPIC_BASE_URL: upstream.url },
      // Once the agent is looping (capped's own start-up takes longer on a loaded machine).
      onStart: (child) => {
        const poll = setInterval(() => {
          if ((upstream?.bill.requests.length ?? 0) < 2) return;
          clearInterval(poll);
          child.kill('SIGTERM');
        }, 20);
      },
    });
    expect(result.code).toBe(143);
    expect(result.record!.exitCode).toBe(143);
    expect(result.record!.hardStop).toBeNull();
    expect(result.record!.spent.requests).toBeGreaterThan(0);
    expect(result.record!.spent.usd).toBeCloseTo(upstream.billedUsd(), 9);
  });
});

describe('bad input', () => {
  it('needs `--` and a command', async () => {
    for (const args of [['run'], ['run', '--max-usd', '1'], ['run', '--']]) {
      const result = await runCapped(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('capped run --max-usd 1.50 -- claude');
      expect(result.record).toBeNull();
    }
  });

  it('rejects a bad --max-usd before starting anything', async () => {
    for (const bad of ['abc', '-1', '0']) {
      const result = await runCapped(['run', '--max-usd', bad, '--', 'true']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`Expected \`--max-usd\` to be a positive number of dollars (e.g. --max-usd 1.50), got \`${bad}\`.`);
    }
  });

  it('reports a command that does not exist with the shell code 127', async () => {
    const result = await runCapped(['run', '--', 'no-such-agent-xyz']);
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('command not found: no-such-agent-xyz');
  });

  it('rejects an ANTHROPIC_BASE_URL that is not a URL', async () => {
    const result = await runCapped(['run', '--', 'true'], { env: { ANTHROPIC_BASE_URL: 'not a url' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Expected ANTHROPIC_BASE_URL to be an http(s) URL');
  });
});

describe('the tool-action cap', () => {
  it('withholds the tool call over the cap from a stream and ends it with an error event', async () => {
    const { result, up } = await oneRequestWithArgs(['--max-actions', '2'], {}, { toolCalls: 3 });
    expect(result.code, result.stderr).toBe(3);
    const body = agentOutput(result.stdout).body;
    expect(body.match(/"type":"tool_use"/g)).toHaveLength(2);
    expect(body).not.toContain('"id":"tu_2"');
    expect(body).toContain('event: error');
    expect(body).toContain("this run's cap of 2 tool actions is reached");
    expect(body).not.toContain('message_stop');
    const record = result.record!;
    expect(record.hardStop?.reason).toBe('actions');
    expect(record.spent.actions).toBe(2);
    expect(record.budget.actions).toBe(2);
    // The upstream generated the whole response: capped read it on, without forwarding, to its
    // final usage, and charged exactly what the upstream billed.
    expect(up.bill.requests).toHaveLength(1);
    expect(up.bill.requests[0]!.usage.output).toBe(200);
    expect(record.estimated).toBe(false);
    expect(record.spent.outputTokens).toBe(200);
    expect(record.spent.usd).toBeCloseTo(up.billedUsd(), 9);
  });

  it('replaces a JSON response whose tool calls exceed the cap with a refusal', async () => {
    const { result } = await oneRequestWithArgs(
      ['--max-actions', '1'],
      { FAKE_BODY: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] }) },
      { toolCalls: 2 },
    );
    expect(result.code, result.stderr).toBe(3);
    const out = agentOutput(result.stdout);
    expect(out.status).toBe(402);
    expect(out.shouldRetry).toBe('false');
    expect(out.body).not.toContain('tool_use');
    expect((JSON.parse(out.body) as { error: { message: string } }).error.message).toContain('--max-actions');
    // This response was complete, so it is charged exactly even though it was withheld.
    expect(result.record!.estimated).toBe(false);
    expect(result.record!.spent.usd).toBeCloseTo(upstream!.billedUsd(), 9);
  });

  it('rejects a bad --max-actions', async () => {
    const result = await runCapped(['run', '--max-actions', 'many', '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Expected `--max-actions` to be a whole number (e.g. --max-actions 50), got `many`.');
  });
});

async function oneRequestWithArgs(args: string[], env: Record<string, string>, upstreamOptions = {}) {
  upstream = await startFakeAnthropic(upstreamOptions);
  const result = await runCapped(['run', ...args, '--', process.execPath, fixture('one-request-agent.mjs')], {
    env: { ANTHROPIC_BASE_URL: upstream.url, ...env },
  });
  return { result, up: upstream };
}
