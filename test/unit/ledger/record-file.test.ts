import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initialState } from '../../../src/budget/engine.js';
import { writeRecordFile } from '../../../src/ledger/record-file.js';
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

describe('the --record file', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-ledger-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
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
