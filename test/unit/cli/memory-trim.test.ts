import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS } from '../../../src/cli/defaults.js';
import { fullCollection, trimWhenQuiet } from '../../../src/cli/memory-trim.js';
import { whileAgentRuns } from '../../../src/cli/run-launch.js';
import type { BudgetKeeper } from '../../../src/budget/keeper.js';
import type { Proxy } from '../../../src/proxy/server.js';
import type { PriceBook } from '../../../src/pricing/price-book.js';
import type { AgentExit } from '../../../src/supervisor/spawn-agent.js';

/** A run's traffic, moved by hand: `activity` changes with every request event. */
function traffic() {
  const t = { activity: 0, inFlight: 0 };
  return { t, view: { activity: () => t.activity, inFlight: () => t.inFlight } };
}

/** A keeper as whileAgentRuns reads it: a state the engine replaces on each event, with its reservations. */
function keeperWith(reserved: Record<string, unknown> = {}) {
  const k = { state: { reserved } };
  /** One engine event: a new state object. */
  const event = (next: Record<string, unknown> = k.state.reserved): void => {
    k.state = { reserved: next };
  };
  return { keeper: k as unknown as BudgetKeeper, event };
}

describe('trimWhenQuiet', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects once after two quiet checks that follow requests, and not again until more come', () => {
    const { t, view } = traffic();
    const collect = vi.fn();
    const stop = trimWhenQuiet(view, 1000, collect);
    // Nothing has come yet: nothing to give back.
    vi.advanceTimersByTime(5000);
    expect(collect).not.toHaveBeenCalled();
    t.activity = 3;
    vi.advanceTimersByTime(1000); // new requests: not quiet
    vi.advanceTimersByTime(1000); // quiet once
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000); // quiet twice
    expect(collect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(collect).toHaveBeenCalledTimes(1);
    t.activity = 4;
    vi.advanceTimersByTime(3000);
    expect(collect).toHaveBeenCalledTimes(2);
    stop();
    t.activity = 5;
    vi.advanceTimersByTime(10_000);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('never collects while a request is in flight (a long stream), however long it lasts', () => {
    const { t, view } = traffic();
    const collect = vi.fn();
    const stop = trimWhenQuiet(view, 1000, collect);
    t.activity = 1;
    t.inFlight = 1;
    vi.advanceTimersByTime(60_000);
    expect(collect).not.toHaveBeenCalled();
    t.inFlight = 0;
    vi.advanceTimersByTime(1000);
    expect(collect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(collect).toHaveBeenCalledTimes(1);
    stop();
  });

  it('a collection that throws does not escape the timer', () => {
    const { t, view } = traffic();
    const stop = trimWhenQuiet(view, 1000, () => {
      throw new Error('no gc');
    });
    t.activity = 1;
    expect(() => vi.advanceTimersByTime(5000)).not.toThrow();
    stop();
  });
});

describe('whileAgentRuns', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('warms the price data and the pools after warmMs, trims after a burst, and stops both when the agent exits', async () => {
    const { keeper, event } = keeperWith();
    const pricesWarm = vi.fn();
    const proxyWarm = vi.fn();
    const prices = { warm: pricesWarm } as unknown as PriceBook;
    const proxy = { warm: proxyWarm } as unknown as Proxy;
    let exit!: (e: AgentExit) => void;
    const exited = new Promise<AgentExit>((resolve) => (exit = resolve));
    const collect = vi.fn();
    whileAgentRuns({ prices, proxy, keeper }, { exited }, collect);
    vi.advanceTimersByTime(DEFAULTS.warmMs - 1);
    expect(pricesWarm).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(pricesWarm).toHaveBeenCalledTimes(1);
    expect(proxyWarm).toHaveBeenCalledTimes(1);
    event();
    vi.advanceTimersByTime(DEFAULTS.trimCheckMs * 3);
    expect(collect).toHaveBeenCalledTimes(1);
    exit({ code: 0, signal: null });
    await vi.advanceTimersByTimeAsync(0);
    event();
    vi.advanceTimersByTime(DEFAULTS.trimCheckMs * 3);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('reads requests from the budget: a reservation in flight holds the trim off, an open connection without one does not', () => {
    // The proxy's own count would see a Responses WebSocket as one request in flight all session.
    const { keeper, event } = keeperWith();
    const proxy = { warm: vi.fn(), inFlight: () => 1 } as unknown as Proxy;
    const collect = vi.fn();
    whileAgentRuns({ prices: { warm: vi.fn() } as unknown as PriceBook, proxy, keeper }, { exited: new Promise<AgentExit>(() => {}) }, collect);
    event({ r1: {} });
    vi.advanceTimersByTime(DEFAULTS.trimCheckMs * 6);
    expect(collect).not.toHaveBeenCalled();
    event({});
    vi.advanceTimersByTime(DEFAULTS.trimCheckMs * 3);
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('an agent that ends before warmMs gets no warm-up', async () => {
    const pricesWarm = vi.fn();
    const proxyWarm = vi.fn();
    const prices = { warm: pricesWarm } as unknown as PriceBook;
    const proxy = { warm: proxyWarm } as unknown as Proxy;
    whileAgentRuns({ prices, proxy, keeper: keeperWith().keeper }, { exited: Promise.resolve({ code: 0, signal: null }) }, vi.fn());
    await vi.advanceTimersByTimeAsync(DEFAULTS.warmMs * 4);
    expect(pricesWarm).not.toHaveBeenCalled();
    expect(proxyWarm).not.toHaveBeenCalled();
  });
});

describe('fullCollection', () => {
  it('collects what nothing holds any more', async () => {
    let held: object | null = { big: new Array(1000).fill(0) };
    const ref = new WeakRef(held);
    held = null;
    // A WeakRef's target is kept until the end of the job that made or read it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    fullCollection();
    expect(ref.deref()).toBeUndefined();
  });
});
