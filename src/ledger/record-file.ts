import fs from 'node:fs';
import path from 'node:path';
import type { RunRecord } from './run-record.js';

/** Writes the record for `--record`, creating the parent directory. */
export function writeRecordFile(file: string, record: RunRecord): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}
