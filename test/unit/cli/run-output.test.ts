import { describe, expect, it } from 'vitest';
import { RunOutput } from '../../../src/cli/run-output.js';
import { RunTally } from '../../../src/cli/run-tally.js';

describe('RunOutput', () => {
  it('writes at once, keeps lines while held, and hands them back in order on release', () => {
    const written: string[] = [];
    const out = new RunOutput((t) => written.push(t));
    out.say('a\n');
    out.hold();
    out.say('b\n');
    out.say('c\n');
    expect(written).toEqual(['a\n']);
    expect(out.release()).toEqual(['b\n', 'c\n']);
    out.say('d\n');
    expect(written).toEqual(['a\n', 'd\n']);
    expect(out.release()).toEqual([]);
  });
});

describe('RunTally', () => {
  it('keeps what the notices add to the record: login, removed tools, counting calls, input risk, overruns', () => {
    const tally = new RunTally('likely');
    tally.add({ type: 'subscription' });
    tally.add({ type: 'tools-removed', names: ['WebSearch', 'Bash'] });
    tally.add({ type: 'tools-removed', names: ['Bash'] });
    tally.add({ type: 'counted', ok: true });
    tally.add({ type: 'counted', ok: false });
    const settled = { type: 'settled', overrun: false, billedInputNano: 900, reservedInputNano: 1000 } as const;
    tally.add(settled as never);
    tally.add({ ...settled, billedInputNano: 1500, overrun: true } as never);
    tally.add({ ...settled, billedInputNano: 1200 } as never);
    expect(tally.apiEquivalent).toBe(true);
    expect([...tally.toolsRemoved]).toEqual(['WebSearch', 'Bash']);
    expect(tally.reservation).toEqual({ mode: 'likely', riskNano: 500, countCalls: 2 });
    expect(tally.upstreamNonCompliant).toBe(true);
  });
});
