import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { anthropic } from '../../../src/proxy/providers/anthropic.js';
import { relayResponse } from '../../../src/proxy/relay.js';
import type { RelayOutcome } from '../../../src/proxy/relay-shared.js';
import { FakeResponse, FakeUpstream, relayHooks } from '../../helpers/fake-relay-ends.js';

function relay(holdBodies: boolean) {
  const upstream = new FakeUpstream({ 'content-type': 'application/json' });
  const res = new FakeResponse();
  const done: Promise<RelayOutcome> = relayResponse({
    provider: anthropic,
    meter: anthropic.createMeter({ injectedUsage: false }),
    upstream,
    res: res as unknown as http.ServerResponse,
    hooks: { ...relayHooks(), holdBodies },
    allowedOut: 1_000_000,
    clientGone: () => false,
  });
  return { upstream, res, done };
}

const BODY = JSON.stringify({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'Hello there' }],
  usage: { input_tokens: 120, output_tokens: 42 },
});

describe.each([
  ['passed on as it arrives', false],
  ['held whole (an actions cap)', true],
])('relayResponse, a JSON body %s', (_name, holdBodies) => {
  it("ends the agent's response at the upstream's 'end', not its later 'close', and only once", async () => {
    const { upstream, res, done } = relay(holdBodies);
    upstream.send(BODY, 3);
    upstream.end();
    const outcome = await done;
    expect(res.ended).toBe(true);
    expect(res.body).toBe(BODY);
    expect(outcome.reading.usage).toMatchObject({ input: 120, output: 42 });
    expect(outcome.reading.complete).toBe(true);
    upstream.close();
    expect(res.endCalls).toBe(1);
    // Passed on: each piece as it comes and the end, none held back by a cork.
    if (!holdBodies) expect(res.corked).toEqual([false, false, false, false]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(res.corks).toBe(0);
  });

  it('a body cut off (closed, never ended) is destroyed, and its reading is not complete', async () => {
    const { upstream, res, done } = relay(holdBodies);
    upstream.send(BODY.slice(0, 40));
    upstream.close();
    const outcome = await done;
    expect(res.destroyed).toBe(true);
    expect(res.ended).toBe(false);
    expect(outcome.reading.complete).toBe(false);
  });
});
