import type { GuardFacts } from '../budget/guards.js';
import { retryStreak } from '../budget/retry-loop.js';
import { filesRead } from '../budget/scope.js';
import { stepIdentity, type StepIdentity, type ToolStep } from '../budget/tool-steps.js';
import { sharedStart } from './providers/resent-list.js';

/**
 * Provider call ids this long are random (`toolu_01…`, `call_…`, 24 characters and more), so one
 * names one call, whatever conversation resends it; a short id (`t1`, made up by some clients) may
 * name different calls in two conversations, so such a call is known by its input instead.
 */
const UNIQUE_ID_LENGTH = 16;

/**
 * What the run's requests show of runaway patterns. A request's history holds its own
 * conversation's retry streak; the files read are counted across every conversation of the run
 * (subagents, and histories compacted away), so they are kept here.
 *
 * Every request resends its whole history, so what a call's name and input say (its identity,
 * the files it reads) is worked out once per distinct call, not again on each request: on the
 * request path, a 300-call history cost 3 ms a request without it.
 */
export class GuardWatch {
  private readonly files = new Set<string>();
  private readonly identities = new Map<string, StepIdentity>();
  private readonly identityOfStep = new WeakMap<ToolStep, StepIdentity>();
  private readonly reads = new Map<string, readonly string[]>();
  /** The calls (by provider id) whose files are in `files` already. */
  private readonly counted = new Set<string>();
  /**
   * The steps of the last request. A resent history's steps are the same objects (the providers'
   * history readers hand them on), so those it shares with the last request were counted then.
   */
  private last: readonly ToolStep[] = [];

  /** `cwd`: the agent's working directory, so absolute and relative paths to one file count once. */
  constructor(private readonly cwd: string | null) {}

  facts(steps: readonly ToolStep[]): GuardFacts {
    const from = sharedStart(this.last, steps);
    this.last = steps;
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      // A call counted before, known by a provider id that names one call for good, read the
      // same files then: its input is not even made into text again.
      const id = step.id !== undefined && step.id !== null && step.id.length >= UNIQUE_ID_LENGTH ? step.id : null;
      if (id !== null && this.counted.has(id)) continue;
      for (const file of this.readsOf(step)) this.files.add(file);
      if (id !== null) this.counted.add(id);
    }
    return { loop: retryStreak(steps, (step) => this.identityOf(step)), filesRead: this.files.size };
  }

  private identityOf(step: ToolStep): StepIdentity {
    // A resent step is the object seen before: its identity is not worked out again (a failed
    // last step has the retry check walk back through the whole history, every request).
    const known = this.identityOfStep.get(step);
    if (known) return known;
    const call = callKey(step);
    let identity = this.identities.get(call);
    if (!identity) this.identities.set(call, (identity = stepIdentity(step)));
    this.identityOfStep.set(step, identity);
    return identity;
  }

  private readsOf(step: ToolStep): readonly string[] {
    const call = callKey(step);
    let files = this.reads.get(call);
    if (!files) this.reads.set(call, (files = filesRead(step, this.cwd)));
    return files;
  }
}

/** What a call's identity and the files it reads depend on: its tool and its input. */
const callKey = (step: ToolStep): string => `${step.name}\0${step.input}`;
