import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfigError } from '../../../src/config/errors.js';
import { flagLayer } from '../../../src/config/flags.js';
import { readPolicyFile } from '../../../src/config/policy-file.js';
import type { ResolvedPolicy } from '../../../src/config/resolve.js';
import type { PolicyFile } from '../../../src/config/types.js';
import { watchPolicy, watchResolvedPolicy, type CloseWatch } from '../../../src/config/watch.js';

const WAIT = { timeout: 5_000, interval: 20 };

const dirs: string[] = [];
const closers: CloseWatch[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function repo(text: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capped-watch-'));
  dirs.push(dir);
  const file = path.join(dir, '.budgetrc');
  writeFileSync(file, text);
  return { dir, file };
}

function recorder() {
  const changes: PolicyFile[] = [];
  const errors: ConfigError[] = [];
  return { changes, errors, onChange: (f: PolicyFile) => changes.push(f), onError: (e: ConfigError) => errors.push(e) };
}

describe('watchPolicy', () => {
  it('hands over the file again after a valid edit', async () => {
    const { dir, file } = repo('maxUsd: 2\n');
    const r = recorder();
    closers.push(await watchPolicy(file, r.onChange, r.onError, { cwd: dir, stableMs: 20 }));
    writeFileSync(file, 'maxUsd: 1\nonLimit: ask\n');
    await vi.waitFor(() => expect(r.changes).toHaveLength(1), WAIT);
    expect(r.changes[0]!.entries.maxUsd!.value).toBe(1);
    expect(r.changes[0]!.entries.onLimit!.value).toBe('ask');
    expect(r.errors).toEqual([]);
  });

  it('reports an invalid edit with the exact message and no change, then takes the next valid one', async () => {
    const { dir, file } = repo('maxUsd: 2\n');
    const r = recorder();
    closers.push(await watchPolicy(file, r.onChange, r.onError, { cwd: dir, stableMs: 20 }));
    writeFileSync(file, 'maxUsd: 2\nmaxUSD: abc\n');
    await vi.waitFor(() => expect(r.errors).toHaveLength(1), WAIT);
    expect(r.errors[0]!.message).toBe('.budgetrc:2:1: unknown key "maxUSD" — did you mean "maxUsd"?');
    expect(r.changes).toEqual([]);
    writeFileSync(file, 'maxUsd: 0.75\n');
    await vi.waitFor(() => expect(r.changes).toHaveLength(1), WAIT);
    expect(r.changes[0]!.entries.maxUsd!.value).toBe(0.75);
  });

  it('reports a removed file and keeps quiet after close', async () => {
    const { file } = repo('maxUsd: 2\n');
    const r = recorder();
    const close = await watchPolicy(file, r.onChange, r.onError, { stableMs: 20 });
    unlinkSync(file);
    await vi.waitFor(() => expect(r.errors).toHaveLength(1), WAIT);
    expect(r.errors[0]!.message).toBe(`${file}: removed; the policy it set stays in force for this run.`);
    await close();
    writeFileSync(file, 'maxUsd: 3\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.changes).toEqual([]);
  });
});

describe('watchResolvedPolicy', () => {
  it('merges a lowered cap with the other layers, and rejects an edit a flag now exceeds', async () => {
    const { dir, file } = repo('maxUsd: 2\n');
    const layers = { flags: flagLayer({ onLimit: 'ask' }), env: {}, file: readPolicyFile(file, dir), user: null };
    const policies: ResolvedPolicy[] = [];
    const errors: ConfigError[] = [];
    closers.push(
      await watchResolvedPolicy(
        layers,
        (p) => policies.push(p),
        (e) => errors.push(e),
        { cwd: dir, stableMs: 20 },
      ),
    );
    writeFileSync(file, 'maxUsd: 0.5\n');
    await vi.waitFor(() => expect(policies).toHaveLength(1), WAIT);
    expect(policies[0]!.policy).toMatchObject({ maxUsd: 0.5, onLimit: 'ask' });

    const strict = { ...layers, flags: flagLayer({ maxUsd: '1' }) };
    const errors2: ConfigError[] = [];
    closers.push(
      await watchResolvedPolicy(
        strict,
        (p) => policies.push(p),
        (e) => errors2.push(e),
        { cwd: dir, stableMs: 20 },
      ),
    );
    writeFileSync(file, 'ceilings:\n  maxUsd: 0.8\n');
    await vi.waitFor(() => expect(errors2).toHaveLength(1), WAIT);
    expect(errors2[0]!.message).toBe(`--max-usd 1 exceeds the ceiling of $0.80 set in ${file} (line 2); lower it or change that file.`);
    expect(errors).toEqual([]);
  });

  it('watches nothing when no file applied: a .budgetrc written afterwards changes nothing', async () => {
    const { dir, file } = repo('maxUsd: 2\n');
    const policies: ResolvedPolicy[] = [];
    const errors: ConfigError[] = [];
    const noFile = { flags: {}, env: {}, file: null, user: null };
    const close = await watchResolvedPolicy(
      noFile,
      (p) => policies.push(p),
      (e) => errors.push(e),
      { cwd: dir, stableMs: 20 },
    );
    writeFileSync(file, 'maxUsd: 0.5\n');
    unlinkSync(file);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(policies).toEqual([]);
    expect(errors).toEqual([]);
    await expect(close()).resolves.toBeUndefined();
  });
});
