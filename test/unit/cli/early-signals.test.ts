import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { holdSignals, type ForwardedSignal } from '../../../src/cli/early-signals.js';

describe('holdSignals', () => {
  it('holds signals that arrive before the agent exists, then forwards them (marked early) and later ones as they come', () => {
    const process = new EventEmitter();
    const held = holdSignals(process);
    expect(process.listenerCount('SIGTERM')).toBe(1);
    process.emit('SIGINT');
    process.emit('SIGTERM');
    const seen: [ForwardedSignal, boolean][] = [];
    held.forwardTo((signal, early) => seen.push([signal, early]));
    process.emit('SIGHUP');
    expect(seen).toEqual([
      ['SIGINT', true],
      ['SIGTERM', true],
      ['SIGHUP', false],
    ]);
  });

  it('release removes every handler, and may be called twice', () => {
    const process = new EventEmitter();
    const held = holdSignals(process);
    held.release();
    held.release();
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) expect(process.listenerCount(signal)).toBe(0);
  });
});
