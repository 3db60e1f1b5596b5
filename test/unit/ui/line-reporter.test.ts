import { describe, expect, it } from 'vitest';
import { initialState, step } from '../../../src/budget/engine.js';
import type { BudgetState, Caps, TokenUsage } from '../../../src/budget/types.js';
import { buildRunRecord, type RunRecord } from '../../../src/ledger/run-record.js';
import type { ProxyNotice } from '../../../src/proxy/exchange.js';
import { capsText, LineReporter } from '../../../src/ui/line-reporter.js';
import { summaryFromRecord } from '../../../src/ui/summary-model.js';
import { runMoneyOf, type RunMoney } from '../../../src/model/run-money.js';

const MODEL = 'claude-sonnet-4-5';
const DOLLAR: Caps = { usd: 1_000_000_000, tokens: null, actions: null };

function reporter(opts: { color?: boolean; everyRequest?: boolean } = {}): { r: LineReporter; lines: () => string[]; raw: () => string } {
  let raw = '';
  const r = new LineReporter((text) => (raw += text), { color: opts.color ?? false, everyRequest: opts.everyRequest ?? true });
  return { r, lines: () => raw.split('\n').slice(0, -1), raw: () => raw };
}

function stateAt(caps: Caps, spentNano: number, usage: Partial<TokenUsage> = {}): BudgetState {
  const base = initialState(caps);
  return { ...base, spentNano, usage: { ...base.usage, ...usage } };
}

function settled(costNano: number, opts: Partial<Extract<ProxyNotice, { type: 'settled' }>> = {}): ProxyNotice {
  return {
    type: 'settled',
    id: 'q1',
    model: MODEL,
    costNano,
    usage: { input: 1000, output: 1000, cacheRead: 0, cacheWrite: 0 },
    estimated: false,
    clamped: null,
    retry: false,
    provider: 'anthropic',
    phase: 'implementation',
    reservedInputNano: 0,
    billedInputNano: 0,
    overrun: false,
    ...opts,
  };
}

describe('capsText', () => {
  it('lists every cap of the run', () => {
    expect(capsText(DOLLAR)).toBe('max $1.00');
    expect(capsText({ usd: 1_500_000_000, tokens: 200_000, actions: 40 })).toBe('max $1.50, max 200,000 tokens, max 40 tool actions');
    expect(capsText({ usd: null, tokens: null, actions: null })).toBe('no cap');
  });
});

describe('LineReporter.start', () => {
  it('prints one exact line', () => {
    const { r, raw } = reporter();
    r.start({
      runId: '20260101-000000-abc123',
      caps: { usd: 1_500_000_000, tokens: 200_000, actions: null },
      command: ['claude', '--print', 'hi'],
      agent: 'claude',
      onLimit: 'stop',
    });
    expect(raw()).toBe('capped: run 20260101-000000-abc123 · max $1.50, max 200,000 tokens · on limit: stop · claude: claude --print hi\n');
  });

  it('dims the prefix only when colour is on', () => {
    const colored = reporter({ color: true });
    colored.r.start({ runId: 'r', caps: DOLLAR, command: ['x'], agent: 'generic', onLimit: 'stop' });
    expect(colored.raw()).toBe('\x1b[2mcapped:\x1b[0m run r · max $1.00 · on limit: stop · generic: x\n');
  });
});

describe('LineReporter settled lines', () => {
  it('prints every priced request when everyRequest is on', () => {
    const { r, lines } = reporter({ everyRequest: true });
    r.notice(settled(18_000_000), stateAt(DOLLAR, 18_000_000));
    r.notice(
      settled(2_500_000_000 / 100, { usage: { input: 12_345, output: 678, cacheRead: 90_000, cacheWrite: 1_200 }, clamped: 2170, estimated: true }),
      stateAt(DOLLAR, 43_000_000),
    );
    expect(lines()).toEqual([
      'capped: $0.0180 claude-sonnet-4-5 · in 1,000 out 1,000 cache r/w 0/0 · spent $0.0180 of $1.00 (1.8%)',
      'capped: $0.0250 claude-sonnet-4-5 · in 12,345 out 678 cache r/w 90,000/1,200 · spent $0.0430 of $1.00 (4.3%) · ' +
        'max_tokens lowered to 2,170 · estimated: usage unreadable',
    ]);
  });

  it('shows the token share when only tokens are capped', () => {
    const { r, lines } = reporter();
    r.notice(settled(1000), stateAt({ usd: null, tokens: 10_000, actions: null }, 1000, { input: 2000, output: 500 }));
    expect(lines()).toEqual(['capped: $0.000001 claude-sonnet-4-5 · in 1,000 out 1,000 cache r/w 0/0 · spent $0.000001 (25.0%)']);
  });

  it('prints only when 50%, 75% and 90% are first crossed when everyRequest is off', () => {
    const { r, lines } = reporter({ everyRequest: false });
    const spends = [0.1, 0.4, 0.55, 0.6, 0.8, 0.85, 0.95, 0.99, 1.0];
    for (const f of spends) r.notice(settled(10_000_000), stateAt(DOLLAR, Math.round(f * 1e9)));
    expect(lines()).toEqual([
      'capped: $0.01 claude-sonnet-4-5 · in 1,000 out 1,000 cache r/w 0/0 · spent $0.55 of $1.00 (55.0%)',
      'capped: $0.01 claude-sonnet-4-5 · in 1,000 out 1,000 cache r/w 0/0 · spent $0.80 of $1.00 (80.0%)',
      'capped: $0.01 claude-sonnet-4-5 · in 1,000 out 1,000 cache r/w 0/0 · spent $0.95 of $1.00 (95.0%)',
    ]);
  });

  it('prints one line when a single request crosses several thresholds', () => {
    const { r, lines } = reporter({ everyRequest: false });
    r.notice(settled(800_000_000), stateAt(DOLLAR, 800_000_000));
    r.notice(settled(50_000_000), stateAt(DOLLAR, 850_000_000));
    r.notice(settled(60_000_000), stateAt(DOLLAR, 910_000_000));
    expect(lines()).toHaveLength(2);
    expect(lines()[0]).toContain('(80.0%)');
    expect(lines()[1]).toContain('(91.0%)');
  });

  it('prints nothing without a cap when everyRequest is off', () => {
    const { r, raw } = reporter({ everyRequest: false });
    r.notice(settled(5), stateAt({ usd: null, tokens: null, actions: null }, 5));
    expect(raw()).toBe('');
  });

  it('never writes ANSI escapes when colour is off', () => {
    const { r, raw } = reporter({ color: false });
    r.start({ runId: 'r', caps: DOLLAR, command: ['x'], agent: 'claude', onLimit: 'stop' });
    r.notice(settled(600_000_000), stateAt(DOLLAR, 600_000_000));
    r.notice({ type: 'refused', message: 'capped: no' }, stateAt(DOLLAR, 600_000_000));
    r.notice({ type: 'upstream-error', message: 'capped: down' }, stateAt(DOLLAR, 600_000_000));
    r.summary(
      buildRunRecord(stateAt(DOLLAR, 600_000_000), { id: 'r', command: ['x'], cwd: '/', startedAt: 'a', endedAt: 'b', exitCode: 0, apiEquivalent: false }),
      null,
      runMoneyOf(stateAt(DOLLAR, 600_000_000)),
    );
    expect(raw().length).toBeGreaterThan(100);
    expect(raw()).not.toContain('\x1b');
  });
});

describe('LineReporter refusals and upstream errors', () => {
  const stopped = (): BudgetState => ({ ...stateAt(DOLLAR, 999_000_000), hardStop: { reason: 'usd', at: 'T' } });

  it('prints a refusal as refused:, and stragglers after a hard stop only once', () => {
    const { r, lines } = reporter();
    const message = "capped: this run's spending cap of $1.00 is reached";
    r.notice({ type: 'refused', message }, stopped());
    r.notice({ type: 'refused', message }, stopped());
    r.notice({ type: 'refused', message }, stopped());
    expect(lines()).toEqual(["capped: refused: this run's spending cap of $1.00 is reached"]);
  });

  it('prints every refusal that is not a hard stop', () => {
    const { r, lines } = reporter();
    r.notice({ type: 'refused', message: 'capped: no price for model "x"' }, stateAt(DOLLAR, 0));
    r.notice({ type: 'refused', message: 'capped: no price for model "y"' }, stateAt(DOLLAR, 0));
    expect(lines()).toEqual(['capped: refused: no price for model "x"', 'capped: refused: no price for model "y"']);
  });

  // BUG (src/ui/line-reporter.ts:71, notice(): `this.refusals++ === 0 || state.hardStop === null`):
  // the counter also counts refusals that were not hard stops (e.g. an unpriced model). After one
  // of those, the first real cap refusal arrives with hardStop set and refusals already 1, so the
  // line saying which cap stopped the run is never printed. Fix: count only hard-stop refusals,
  // e.g. `if (state.hardStop === null || this.hardStopRefusals++ === 0) this.line(...)`.
  it('still prints the cap refusal after an earlier refusal that was not a hard stop', () => {
    const { r, lines } = reporter();
    r.notice({ type: 'refused', message: 'capped: no price for model "x"' }, stateAt(DOLLAR, 0));
    r.notice({ type: 'refused', message: "capped: this run's spending cap of $1.00 is reached" }, stopped());
    expect(lines()).toEqual(['capped: refused: no price for model "x"', "capped: refused: this run's spending cap of $1.00 is reached"]);
  });

  it('says once that a subscription login is metered at API-equivalent prices', () => {
    const { r, lines } = reporter();
    r.notice({ type: 'subscription' }, stateAt(DOLLAR, 0));
    r.notice({ type: 'subscription' }, stateAt(DOLLAR, 0));
    expect(lines()).toEqual(['capped: subscription login detected: spend is metered at API-equivalent prices']);
  });

  it('prints upstream errors without the capped: repeated', () => {
    const { r, raw } = reporter();
    r.notice({ type: 'upstream-error', message: 'capped: could not reach the upstream API at https://api.anthropic.com (ECONNREFUSED).' }, stateAt(DOLLAR, 0));
    expect(raw()).toBe('capped: could not reach the upstream API at https://api.anthropic.com (ECONNREFUSED).\n');
  });
});

describe('LineReporter.summary', () => {
  const quote = { inputTokens: 1000, inputNano: 3_000_000, outPicoPerToken: 15_000_000 };

  function finished(caps: Caps, exitCode: number, stopAt?: string): { record: RunRecord; money: RunMoney } {
    let state = initialState(caps);
    const events = [
      { type: 'request', id: 'a', at: 'T0', model: MODEL, quote, maxTokens: 4096 },
      { type: 'request', id: 'b', at: 'T0', model: MODEL, quote, maxTokens: 4096 },
      {
        type: 'settle',
        id: 'a',
        at: '2026-01-01T00:01:40.000Z',
        model: MODEL,
        usage: { input: 1000, output: 200, cacheRead: 3000, cacheWrite: 400 },
        costNano: 12_345_678,
        estimated: false,
      },
      {
        type: 'settle',
        id: 'b',
        at: '2026-01-01T00:02:40.000Z',
        model: MODEL,
        usage: { input: 1000, output: 200, cacheRead: 3000, cacheWrite: 400 },
        costNano: 45_000_000,
        estimated: true,
      },
    ] as const;
    for (const e of events) state = step(state, e).state;
    if (stopAt) state = { ...state, hardStop: { reason: caps.usd !== null ? 'usd' : caps.tokens !== null ? 'tokens' : 'actions', at: stopAt } };
    const record = buildRunRecord(state, { id: 'run-1', command: ['claude'], cwd: '/repo', startedAt: 'S', endedAt: 'E', exitCode, apiEquivalent: false });
    return { record, money: runMoneyOf(state) };
  }

  it('prints spend, requests, tokens, exit, most expensive request and the record file', () => {
    const { r, lines } = reporter();
    const f = finished({ usd: 1_500_000_000, tokens: null, actions: null }, 0);
    r.summary(f.record, '/tmp/run.json', f.money);
    expect(lines()).toEqual([
      'capped: run run-1 ended · spent $0.0573 of $1.50 requested (3.8% consumed) · 2 requests · 9,200 tokens · includes estimates',
      'capped: no hard stop · agent exit code 0',
      'capped: most expensive request: $0.0450 on claude-sonnet-4-5 at 2026-01-01T00:02:40.000Z',
      'capped: record written to /tmp/run.json',
    ]);
  });

  it('names the cap that stopped the run', () => {
    const usd = reporter();
    const u = finished({ usd: 1_500_000_000, tokens: null, actions: null }, 3, '2026-01-01T00:03:00.000Z');
    usd.r.summary(u.record, null, u.money);
    expect(usd.lines()[1]).toBe('capped: hard stop: the spending cap was reached at 2026-01-01T00:03:00.000Z; the agent was ended (exit 3)');
    expect(usd.lines()).toHaveLength(3);

    const tokens = reporter();
    const t = finished({ usd: null, tokens: 10_000, actions: null }, 3, 'T');
    tokens.r.summary(t.record, null, t.money);
    expect(tokens.lines()[0]).toBe('capped: run run-1 ended · spent $0.0573 · 2 requests · 9,200 tokens · includes estimates');
    expect(tokens.lines()[1]).toBe('capped: hard stop: the token cap was reached at T; the agent was ended (exit 3)');

    const actions = reporter();
    const a = finished({ usd: null, tokens: null, actions: 5 }, 3, 'T');
    actions.r.summary(a.record, null, a.money);
    expect(actions.lines()[1]).toBe('capped: hard stop: the tool action cap was reached at T; the agent was ended (exit 3)');
  });

  it('says in words why a guard stopped the run', () => {
    const detail = "the same failing step `npm run build` ran 3 times: src/app.ts(1,7): error TS2304: Cannot find name 'foo'.";
    const { record, money } = finished({ usd: 1_500_000_000, tokens: null, actions: null }, 3);
    const loop = reporter();
    loop.r.summary({ ...record, hardStop: { reason: 'loop', at: 'T', detail } }, null, money);
    expect(loop.lines()[1]).toBe(`capped: stopped: ${detail} · the agent was ended at T (exit 3)`);
    const scope = reporter();
    scope.r.summary({ ...record, hardStop: { reason: 'scope', at: 'T', detail: 'the agent read 81 files, past the scope limit of 80' } }, null, money);
    expect(scope.lines()[1]).toBe('capped: stopped: the agent read 81 files, past the scope limit of 80 · the agent was ended at T (exit 3)');
    expect(summaryFromRecord({ ...record, hardStop: { reason: 'loop', at: 'T', detail } }, money, 80)).toMatchObject({
      hardStop: `stopped: ${detail}`,
      exit: 'exit 3 (stopped by the retry-loop guard)',
    });
  });

  it('leaves out the most expensive line for a run without requests', () => {
    const { r, lines } = reporter();
    r.summary(
      buildRunRecord(initialState(DOLLAR), { id: 'r0', command: ['x'], cwd: '/', startedAt: 'S', endedAt: 'E', exitCode: 1, apiEquivalent: false }),
      null,
      runMoneyOf(initialState(DOLLAR)),
    );
    expect(lines()).toEqual([
      'capped: run r0 ended · spent $0.00 of $1.00 requested (0.0% consumed) · 0 requests · 0 tokens',
      'capped: no hard stop · agent exit code 1',
    ]);
  });
});

describe('LineReporter forecast and history', () => {
  it('adds the burn rate to each priced line once there is enough to go on', () => {
    let raw = '';
    let elapsed = 5_000;
    const r = new LineReporter((text) => (raw += text), { color: false, everyRequest: true, elapsedMs: () => elapsed });
    // 3 requests, $0.30 spent of $1.00: too early at 5 s, then 2 minutes in: $0.15/min, $0.70 left
    const state = { ...stateAt(DOLLAR, 300_000_000), requests: 3 };
    r.notice(settled(100_000_000), state);
    expect(raw).not.toContain('burn');
    elapsed = 120_000;
    r.notice(settled(100_000_000, { estimated: true }), state);
    // after the spend, before what is said about the request itself
    expect(raw.split('\n')[1]).toMatch(
      / \(30\.0%\) · burn \$0\.15\/min \(\$0\.10\/request\) · ~4m 40s or ~7 requests left at this rate · estimated: usage unreadable$/,
    );
  });

  it('says what runs here cost at the start, and warns when the cap is below their median', () => {
    const { r, lines } = reporter();
    const history = { agent: 'claude', repo: { runs: 4, medianNano: 1_200_000_000, p90Nano: 2_000_000_000, medianRequests: 9 }, agentRuns: null };
    r.start({ runId: 'r1', caps: DOLLAR, command: ['claude'], agent: 'claude', onLimit: 'stop', history });
    expect(lines().slice(1)).toEqual([
      'capped: recent runs here: median $1.20, p90 $2.00 (4 runs)',
      'capped: warning: the cap $1.00 is below the median run here ($1.20): this run will likely need more',
    ]);
  });
});
