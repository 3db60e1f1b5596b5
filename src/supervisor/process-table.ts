import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** One-letter state as in `ps` (R, S, T stopped, Z zombie, ...). */
  state: string;
}

/**
 * Reads the system's process table: `/proc` on Linux (no child process needed), `ps` elsewhere.
 * Processes that exit while being read are skipped.
 */
export function readProcessTable(procRoot = '/proc'): ProcessEntry[] {
  if (!fs.existsSync(`${procRoot}/self/stat`)) return readWithPs();
  const entries: ProcessEntry[] = [];
  for (const name of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`${procRoot}/${name}/stat`, 'utf8');
      // The command name is in parentheses and may itself contain spaces and ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      entries.push({ pid: Number(name), ppid: Number(fields[1]), state: fields[0] ?? '?' });
    } catch {
      // Gone between readdir and read.
    }
  }
  return entries;
}

function readWithPs(): ProcessEntry[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,state='], { encoding: 'utf8' });
  const entries: ProcessEntry[] = [];
  for (const line of out.split('\n')) {
    const [pid, ppid, state] = line.trim().split(/\s+/);
    if (pid && ppid && /^\d+$/.test(pid) && /^\d+$/.test(ppid)) entries.push({ pid: Number(pid), ppid: Number(ppid), state: state?.[0] ?? '?' });
  }
  return entries;
}

/** Every descendant of `root` (not `root` itself), parents before children. */
export function descendants(table: readonly ProcessEntry[], root: number): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of table) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const queue = [root];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/**
 * Processes whose environment carries `marker` (e.g. `CAPPED_RUN_ID=abc`): they descend from the
 * agent even after their parent died and they were re-parented, or left its group and session.
 */
export function processesWithMarker(marker: string, procRoot = '/proc'): number[] {
  if (!fs.existsSync(`${procRoot}/self/environ`)) return [];
  const needle = Buffer.from(`\0${marker}\0`);
  const first = Buffer.from(`${marker}\0`);
  const out: number[] = [];
  for (const name of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = fs.readFileSync(`${procRoot}/${name}/environ`);
      if (env.indexOf(needle) !== -1 || env.subarray(0, first.length).equals(first)) out.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}
