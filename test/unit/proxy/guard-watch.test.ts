import { describe, expect, it } from 'vitest';
import type { ToolStep } from '../../../src/budget/tool-steps.js';
import { GuardWatch } from '../../../src/proxy/guard-watch.js';
import { anthropic } from '../../../src/proxy/providers/anthropic.js';

/** An Anthropic request whose history has one Read call per file, with the call ids given. */
function body(calls: { id: string; file: string }[]): Record<string, unknown> {
  const messages: unknown[] = [{ role: 'user', content: 'read them' }];
  for (const c of calls) {
    messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: c.id, name: 'Read', input: { file_path: c.file } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: c.id, content: 'text' }] });
  }
  return { model: 'claude-sonnet-4-5', messages };
}

/** The steps, each counting how often its input is read. */
function counted(steps: ToolStep[]): { steps: ToolStep[]; reads: () => number } {
  let reads = 0;
  const wrapped = steps.map((s) => ({
    id: s.id ?? null,
    name: s.name,
    get input() {
      reads++;
      return s.input;
    },
    output: s.output,
    failed: s.failed,
  }));
  return { steps: wrapped, reads: () => reads };
}

const LONG = (n: number): string => `toolu_01ABCDEFGHIJKLMNOPQRS${n}`;

describe('GuardWatch', () => {
  it('counts each file read once, across requests that resend the history', () => {
    const watch = new GuardWatch('/repo');
    const first = [
      { id: LONG(1), file: '/repo/a.ts' },
      { id: LONG(2), file: 'b.ts' },
    ];
    expect(watch.facts(anthropic.toolSteps(body(first))).filesRead).toBe(2);
    // The same history again, plus a call that reads a.ts by another path, plus a new file.
    const next = [...first, { id: LONG(3), file: 'a.ts' }, { id: LONG(4), file: 'c.ts' }];
    expect(watch.facts(anthropic.toolSteps(body(next))).filesRead).toBe(3);
  });

  it('does not read again the input of a call it counted, known by a provider id', () => {
    const watch = new GuardWatch('/repo');
    const calls = Array.from({ length: 20 }, (_, i) => ({ id: LONG(i), file: `f${i}.ts` }));
    watch.facts(anthropic.toolSteps(body(calls)));
    const again = counted(anthropic.toolSteps(body([...calls, { id: LONG(99), file: 'new.ts' }])));
    expect(watch.facts(again.steps).filesRead).toBe(21);
    // Only the new call's input, and the few the retry streak reads from the end.
    expect(again.reads()).toBeLessThanOrEqual(3);
  });

  it('works out a resent step’s identity once, though a failed last step has the retry check walk back through them all', () => {
    const watch = new GuardWatch('/repo');
    const step = (n: number, failed: boolean): ToolStep => ({ id: null, name: `tool${n}`, input: `{"n":${n}}`, output: failed ? 'Error: no' : 'ok', failed });
    const old = counted(Array.from({ length: 30 }, (_, n) => step(n, false)));
    watch.facts([...old.steps, step(100, true)]);
    const before = old.reads();
    expect(before).toBeGreaterThanOrEqual(30); // each read once, walking back from the failed step
    watch.facts([...old.steps, step(101, true)]);
    expect(old.reads()).toBe(before);
  });

  it('does not trust a short id: two conversations that both say `t1` count both calls', () => {
    const watch = new GuardWatch('/repo');
    expect(watch.facts(anthropic.toolSteps(body([{ id: 't1', file: 'a.ts' }]))).filesRead).toBe(1);
    expect(watch.facts(anthropic.toolSteps(body([{ id: 't1', file: 'b.ts' }]))).filesRead).toBe(2);
  });

  it('reads a history without ids (Gemini) by its inputs', () => {
    const watch = new GuardWatch('/repo');
    const steps = (files: string[]): ToolStep[] =>
      files.map((f) => ({ id: null, name: 'read_file', input: JSON.stringify({ absolute_path: `/repo/${f}` }), output: '', failed: null }));
    expect(watch.facts(steps(['a.ts'])).filesRead).toBe(1);
    expect(watch.facts(steps(['a.ts', 'b.ts'])).filesRead).toBe(2);
  });
});

describe('tool steps are read lazily', () => {
  it('makes no input text until one is read, then the same text each time', () => {
    const steps = anthropic.toolSteps(body([{ id: LONG(1), file: 'a.ts' }]));
    expect(steps[0]!.input).toBe('{"file_path":"a.ts"}');
    expect(steps[0]!.input).toBe(steps[0]!.input);
    expect(steps[0]!.output).toBe('text');
  });

  it('reads only the steps a resent history adds, when they are the objects of the last request', () => {
    const watch = new GuardWatch('/repo');
    // Short ids: such calls are otherwise known by their input, which is read on every request.
    const steps = anthropic.toolSteps(body([1, 2, 3].map((n) => ({ id: `t${n}`, file: `f${n}.ts` }))));
    const { steps: watched, reads } = counted(steps);
    expect(watch.facts(watched).filesRead).toBe(3);
    const before = reads();
    const more = counted(anthropic.toolSteps(body([{ id: 't4', file: 'f4.ts' }])));
    expect(watch.facts([...watched, ...more.steps]).filesRead).toBe(4);
    expect(reads()).toBe(before);
    expect(more.reads()).toBeGreaterThan(0);
    // The same steps as copies are read again (and count nothing new).
    const copies = counted(steps);
    expect(watch.facts(copies.steps).filesRead).toBe(4);
    expect(copies.reads()).toBeGreaterThan(0);
  });
});
