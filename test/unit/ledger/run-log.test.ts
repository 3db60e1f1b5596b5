import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialState } from '../../../src/budget/engine.js';
import { appendRunLog, readRunLog, RUN_LOG_FILE, writeRecordFile } from '../../../src/ledger/run-log.js';
import { buildRunRecord, type RunRecord } from '../../../src/ledger/run-record.js';

function record(id: string): RunRecord {
  return buildRunRecord(initialState({ usd: 1_000_000_000, tokens: null, actions: null }), {
    id,
    command: ['claude'],
    cwd: '/repo',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:00.000Z',
    exitCode: 0,
    apiEquivalent: false,
  });
}

describe('run log', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-ledger-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('appends one JSON line per run, creating a private directory and file', () => {
    const dir = path.join(tmp, 'nested', 'capped');
    const file = appendRunLog(dir, record('r1'));
    expect(file).toBe(path.join(dir, RUN_LOG_FILE));
    appendRunLog(dir, record('r2'));
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect((JSON.parse(lines[0]!) as RunRecord).id).toBe('r1');
    expect((JSON.parse(lines[1]!) as RunRecord).id).toBe('r2');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('reads back every record in order', () => {
    appendRunLog(tmp, record('a'));
    appendRunLog(tmp, record('b'));
    expect(readRunLog(tmp)).toEqual([record('a'), record('b')]);
  });

  it('skips torn and blank lines', () => {
    appendRunLog(tmp, record('a'));
    fs.appendFileSync(path.join(tmp, RUN_LOG_FILE), '{"id":"torn","comm\n\n   \n');
    appendRunLog(tmp, record('b'));
    expect(readRunLog(tmp).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('reads an empty list when there is no log yet', () => {
    expect(readRunLog(path.join(tmp, 'missing'))).toEqual([]);
  });

  it('writes the --record file as pretty JSON, creating its directory', () => {
    const file = path.join(tmp, 'out', 'deep', 'run.json');
    writeRecordFile(file, record('x'));
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe(`${JSON.stringify(record('x'), null, 2)}\n`);
    expect(JSON.parse(text)).toEqual(record('x'));
    // writing again replaces the file
    writeRecordFile(file, record('y'));
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord).id).toBe('y');
  });
});
