import fs from 'node:fs';
import path from 'node:path';
import type { RunRecord } from './run-record.js';

export const RUN_LOG_FILE = 'runs.jsonl';

/**
 * Appends a finished run to the run log (one JSON record a line). A single write of a whole line
 * with O_APPEND keeps concurrent runs from interleaving their records.
 */
export function appendRunLog(dir: string, record: RunRecord): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, RUN_LOG_FILE);
  fs.appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return file;
}

/** Reads every record in the log; lines that are not valid JSON (a torn write) are skipped. */
export function readRunLog(dir: string): RunRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, RUN_LOG_FILE), 'utf8');
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as RunRecord);
    } catch {
      // skip
    }
  }
  return out;
}

/** Writes the record for `--record`, creating the parent directory. */
export function writeRecordFile(file: string, record: RunRecord): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}
