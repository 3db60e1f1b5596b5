import { describe, expect, it } from 'vitest';
import { initialState } from '../../../src/budget/engine.js';
import type { Reservation } from '../../../src/budget/types.js';
import { RunJournal } from '../../../src/cli/run-journal.js';
import type { KnownRow, Ledger, RequestEntry } from '../../../src/ledger/ledger.js';
import { buildRunRecord } from '../../../src/ledger/run-record.js';

const AT = '2026-01-01T00:00:00.000Z';
const RESERVATION: Reservation = {
  model: 'claude-sonnet-4-5',
  nano: 18_000_000,
  tokens: 2000,
  allowedOut: 1000,
  outPicoPerToken: 15_000_000,
  phase: 'implementation',
};

/** The final record of a run that spent nothing. */
const emptyRecord = (): Parameters<RunJournal['finish']>[0] =>
  buildRunRecord(initialState({ usd: 1, tokens: null, actions: null }), {
    id: 'run1',
    command: ['agent'],
    cwd: '/',
    startedAt: AT,
    endedAt: AT,
    exitCode: 0,
    apiEquivalent: false,
  });

/** Request `id` settled at `costNano` (100 tokens in, 20 out). */
const settled = (id: string, costNano: number, estimated = false) =>
  ({
    type: 'settled',
    id,
    model: 'claude-sonnet-4-5',
    costNano,
    usage: { input: 100, output: 20, cacheRead: 0, cacheWrite: 0 },
    estimated,
    clamped: null,
    retry: false,
    provider: 'anthropic',
    phase: 'implementation',
    reservedInputNano: 300_000,
    billedInputNano: 300_000,
    overrun: false,
  }) as const;

/** A ledger that keeps what it was told, and refuses writes once closed (as the real one does). */
function fakeLedger() {
  const calls: string[] = [];
  const rows = new Map<string, RequestEntry>();
  let open = true;
  const guard = (what: string): void => {
    if (!open) throw new TypeError('The database connection is not open');
    calls.push(what);
  };
  const ledger = {
    recordRequest: (row: RequestEntry, known?: KnownRow) => {
      // `known`: what the journal told the ledger it holds for the key (written as "?" when nothing).
      guard(`request ${row.key} ${row.reserved ? 'reserved' : 'settled'} ${row.costNano} ${known ?? '?'}`);
      rows.set(row.key!, row);
      return Promise.resolve();
    },
    dropRequest: (_run: string, key: string) => {
      guard(`drop ${key}`);
      rows.delete(key);
      return Promise.resolve();
    },
    finishRun: (_record: unknown, spentNano?: number) => {
      guard(`finish ${spentNano}`);
      return Promise.resolve();
    },
    recordApproval: (row: { kind: string; from: number; fromNano?: number; toNano?: number }) => {
      guard(`approval ${row.kind} ${row.fromNano}→${row.toNano}`);
      return Promise.resolve();
    },
    close: () => {
      open = false;
      return Promise.resolve();
    },
  } as unknown as Ledger;
  return { ledger, calls, rows };
}

describe('RunJournal', () => {
  it('writes a reservation before the request goes, then its settled cost, once; a released one is dropped', async () => {
    const { ledger, calls, rows } = fakeLedger();
    const warnings: string[] = [];
    const journal = new RunJournal(ledger, 'run1', (t) => warnings.push(t));
    const state = initialState({ usd: 1_000_000_000, tokens: null, actions: null });

    await journal.reserve('q1', RESERVATION, 'anthropic', AT);
    expect(rows.get('q1')).toMatchObject({ costNano: 18_000_000, estimated: true, reserved: true, provider: 'anthropic', model: 'claude-sonnet-4-5' });

    await journal.reserve('q2', RESERVATION, 'anthropic', AT);
    journal.action({ type: 'released', id: 'q2' }, state);
    // A release for a request never reserved in the ledger writes nothing.
    journal.action({ type: 'released', id: 'q9' }, state);

    journal.notice(settled('q1', 600_000), AT);
    await journal.finish(
      buildRunRecord(state, { id: 'run1', command: ['agent'], cwd: '/', startedAt: AT, endedAt: AT, exitCode: 0, apiEquivalent: false }),
      state.spentNano,
    );
    // After the record: a late settle (its socket was destroyed) is neither written nor reported.
    journal.notice(settled('q3', 1, true), AT);
    await new Promise((r) => setImmediate(r));

    // The reservation is new; the settle rewrites the reservation row the ledger was told of.
    expect(calls).toEqual([
      'request q1 reserved 18000000 new',
      'request q2 reserved 18000000 new',
      'drop q2',
      'request q1 settled 600000 reserved',
      'finish 0',
    ]);
    expect(rows.get('q1')).toMatchObject({ costNano: 600_000, estimated: false });
    expect(rows.get('q1')!.reserved).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("stores approvals and the run total in the engine's nano-dollars, not rebuilt from the record's dollars", async () => {
    const { ledger, calls } = fakeLedger();
    const journal = new RunJournal(ledger, 'run1', () => undefined);
    const state = { ...initialState({ usd: 1_000_000_000, tokens: null, actions: null }), spentNano: 300_000_001 };
    const approved = { ...state, approvals: [{ kind: 'limit' as const, at: AT, answer: 'approved' as const, from: 1_000_000_000, to: 1_500_000_001 }] };
    journal.action({ type: 'resumed' } as never, approved);
    await journal.finish(
      buildRunRecord(approved, { id: 'run1', command: ['agent'], cwd: '/', startedAt: AT, endedAt: AT, exitCode: 0, apiEquivalent: false }),
      approved.spentNano,
    );
    expect(calls).toEqual(['approval limit 1000000000→1500000001', 'finish 300000001']);
  });

  it('charges an abandoned request at its reservation in place of its reserved row', async () => {
    const { ledger, calls } = fakeLedger();
    const journal = new RunJournal(ledger, 'run1', () => undefined);
    await journal.reserve('q1', RESERVATION, 'openai-chat', AT);
    journal.abandoned('q1', RESERVATION, AT);
    journal.action({ type: 'released', id: 'q1' }, initialState({ usd: 1, tokens: null, actions: null }));
    await journal.finish(emptyRecord());
    expect(calls).toEqual(['request q1 reserved 18000000 new', 'request q1 settled 18000000 ?', 'finish undefined']);
  });
});
