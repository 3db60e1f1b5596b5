import fs from 'node:fs';
import { writableFile } from '../config/local-path.js';
import type { RunRecord } from './run-record.js';

/** Writes the record for `--record`, creating the parent directory. */
export function writeRecordFile(file: string, record: RunRecord): void {
  fs.writeFileSync(writableFile(file, 'the --record file'), `${JSON.stringify(record, null, 2)}\n`);
}
