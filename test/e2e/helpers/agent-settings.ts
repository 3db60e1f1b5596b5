import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../fixtures/fake-openai.mjs';
import { runCapped, type CappedResult } from './run-capped.js';

export interface AgentDirs {
  /** The agent's HOME (its ~/.config, ~/.qwen, ...), also capped's CAPPED_HOME. */
  home: string;
  /** The working directory: the project whose settings files the agent reads. */
  work: string;
}

export interface AgentRun {
  result: CappedResult;
  output: string;
  dirs: AgentDirs;
}

const made: string[] = [];

/** Removes the directories made by runAgent (call from afterEach). */
export function removeAgentDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * `capped run <cappedArgs> -- <command>` with a fresh HOME and project directory, the settings
 * files the test writes there (JSON, by absolute path), like a CI job: no TTY, stdin closed.
 */
export async function runAgent(
  cappedArgs: string[],
  command: string[],
  env: Record<string, string>,
  files: (dirs: AgentDirs) => Record<string, unknown> = () => ({}),
  timeoutMs = 240_000,
): Promise<AgentRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-agent-home-'));
  made.push(home);
  const work = path.join(home, 'work');
  fs.mkdirSync(work);
  const dirs = { home, work };
  for (const [file, content] of Object.entries(files(dirs))) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(content, null, 2));
  }
  const result = await runCapped(['run', ...cappedArgs, '--', ...command], {
    cwd: work,
    env: { HOME: home, CAPPED_HOME: home, TMPDIR: home, ...env },
    timeoutMs,
  });
  return { result, output: result.stdout + result.stderr, dirs };
}

/** What an agent test needs of a fake gateway: its bill and what it received. */
export interface Gateway {
  billedUsd(): number;
  bill: { requests: { model?: string }[]; received: { url: string; headers: Record<string, string | string[] | undefined> }[] };
}

/** Exact-count calls capped may make before deciding a request (free: nothing is generated). */
const COUNTING = /\/count_tokens$|\/responses\/input_tokens$|:countTokens$/;

/**
 * The agent was metered exactly and stopped at capped's dollar cap: capped's own refusal line
 * (the agent may be ended before it prints the refusal it was sent), the bill within the cap and
 * equal to the record, and every generation request reached the gateway on `path` with the
 * user's key (`keyed`); capped's exact-count calls, if any, are the ones the record counts.
 */
export function expectMeteredAndStopped(
  { result, output }: AgentRun,
  up: Gateway,
  o: { cap: number; path: string; keyed: (headers: Record<string, string | string[] | undefined>) => boolean; model?: string },
): void {
  expect(result.code, output).toBe(3);
  expect(output).toMatch(new RegExp(`capped: refused: this run's spending cap of \\$${o.cap.toFixed(2).replace('.', '\\.')} is reached`));
  const billed = up.billedUsd();
  expect(up.bill.requests.filter((r) => o.model === undefined || r.model === o.model).length).toBeGreaterThan(0);
  expect(billed).toBeLessThanOrEqual(o.cap);
  const record = result.record!;
  expect(record.hardStop?.reason).toBe('usd');
  expect(record.spent.usd).toBeCloseTo(billed, 9);
  expect(record.spent.requests).toBe(up.bill.requests.length);
  const counts = up.bill.received.filter((r) => COUNTING.test(r.url.split('?')[0]!));
  expect(counts.length).toBe(record.reservation?.countCalls ?? 0);
  const generations = up.bill.received.filter((r) => !COUNTING.test(r.url.split('?')[0]!));
  expect(generations.every((r) => r.url === o.path && o.keyed(r.headers))).toBe(true);
}

/**
 * Registers the fake OpenAI gateway an agent test talks to: a tool loop that never ends by itself
 * (only the cap stops it), closed with the agent's directories after each test. Call at module level.
 */
export function useToolLoopGateway(): () => Promise<FakeOpenAI> {
  let upstream: FakeOpenAI | null = null;
  afterEach(async () => {
    await upstream?.close();
    upstream = null;
    removeAgentDirs();
  });
  return async () => {
    upstream = await startFakeOpenAI({ toolLoop: true, toolCalls: 1000, outputTokens: 400 });
    return upstream;
  };
}
