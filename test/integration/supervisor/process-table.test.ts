import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { descendants, processesWithMarker, readProcessTable, type ProcessEntry } from '../../../src/supervisor/process-table.js';

const entry = (pid: number, ppid: number, state = 'S'): ProcessEntry => ({ pid, ppid, state });

describe('descendants', () => {
  const table: ProcessEntry[] = [
    entry(1, 0),
    entry(100, 1), // root
    entry(101, 100),
    entry(102, 100),
    entry(103, 101),
    entry(104, 103),
    entry(105, 102, 'Z'),
    entry(200, 1), // unrelated
    entry(201, 200),
  ];

  it('lists every descendant, parents before children, without the root', () => {
    const out = descendants(table, 100);
    expect(out.sort((a, b) => a - b)).toEqual([101, 102, 103, 104, 105]);
    const order = descendants(table, 100);
    expect(order.indexOf(101)).toBeLessThan(order.indexOf(103));
    expect(order.indexOf(103)).toBeLessThan(order.indexOf(104));
    expect(order.indexOf(102)).toBeLessThan(order.indexOf(105));
    expect(order).not.toContain(100);
  });

  it('gives nothing for a leaf or an unknown pid', () => {
    expect(descendants(table, 104)).toEqual([]);
    expect(descendants(table, 999)).toEqual([]);
  });

  it('does not loop on a cycle in the table', () => {
    const cyclic = [entry(10, 12), entry(11, 10), entry(12, 11)];
    expect(descendants(cyclic, 10).sort((a, b) => a - b)).toEqual([11, 12]);
  });

  it('lists a subtree only', () => {
    expect(descendants(table, 101)).toEqual([103, 104]);
    expect(descendants(table, 200)).toEqual([201]);
  });
});

describe('with a fake /proc', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-proc-'));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  function proc(pid: string, files: Record<string, string | Buffer>): void {
    fs.mkdirSync(path.join(root, pid), { recursive: true });
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(root, pid, name), content);
  }

  const stat = (pid: number, comm: string, state: string, ppid: number): string =>
    `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 34816 ${pid} 4194560 1234 0 0 0 10 5 0 0 20 0 1 0 123456 12345678 900\n`;

  describe('readProcessTable', () => {
    it('reads pid, ppid and state, even when the command name has spaces and parentheses', () => {
      proc('self', { stat: stat(4242, 'node', 'R', 1) });
      proc('1', { stat: stat(1, 'systemd', 'S', 0) });
      proc('100', { stat: stat(100, 'bash', 'S', 1) });
      proc('200', { stat: stat(200, 'my (weird) name) x', 'T', 100) });
      proc('300', { stat: stat(300, ') )(', 'Z', 200) });
      proc('301', { stat: stat(301, 'tmux: server', 'D', 1) });
      const table = readProcessTable(root).sort((a, b) => a.pid - b.pid);
      expect(table).toEqual([entry(1, 0, 'S'), entry(100, 1, 'S'), entry(200, 100, 'T'), entry(300, 200, 'Z'), entry(301, 1, 'D')]);
    });

    it('skips entries that are not processes or vanished while being read', () => {
      proc('self', { stat: stat(4242, 'node', 'R', 1) });
      proc('100', { stat: stat(100, 'bash', 'S', 1) });
      proc('101', {}); // exited between readdir and read
      proc('sys', { stat: stat(7, 'not a pid dir', 'S', 1) });
      fs.writeFileSync(path.join(root, 'uptime'), '1.0 2.0\n');
      expect(readProcessTable(root)).toEqual([entry(100, 1, 'S')]);
    });

    it('falls back to ps where there is no /proc, and finds this very process', () => {
      // the empty temp dir has no self/stat, so the table comes from `ps -A`
      const table = readProcessTable(root);
      const self = table.find((p) => p.pid === process.pid);
      expect(self).toBeDefined();
      expect(self!.ppid).toBe(process.ppid);
      expect(self!.state).toMatch(/^[A-Z]$/);
    });
  });

  describe('processesWithMarker', () => {
    const env = (...vars: string[]): Buffer => Buffer.from(vars.map((v) => `${v}\0`).join(''));
    const MARKER = 'CAPPED_RUN_ID=20260101-000000-abc123';

    it('finds processes whose environment carries the exact marker', () => {
      proc('self', { environ: env('HOME=/root') });
      proc('100', { environ: env('HOME=/home/u', MARKER, 'PATH=/bin') }); // in the middle
      proc('101', { environ: env(MARKER, 'A=1') }); // first
      proc('102', { environ: env('A=1', MARKER) }); // last
      proc('200', { environ: env('HOME=/home/u', `${MARKER}0`) }); // a longer id
      proc('201', { environ: env(`X${MARKER}`) }); // another variable ending in the marker
      proc('202', { environ: env(`OTHER=${MARKER}`) }); // the marker as a value
      proc('203', { environ: env('CAPPED_RUN_ID=different') });
      proc('204', { environ: Buffer.alloc(0) }); // kernel thread
      proc('205', {}); // not readable
      expect(processesWithMarker(MARKER, root).sort((a, b) => a - b)).toEqual([100, 101, 102]);
    });

    it('finds nothing where there is no environ to read', () => {
      expect(processesWithMarker(MARKER, path.join(root, 'missing'))).toEqual([]);
      proc('100', { environ: env(MARKER) }); // no self/environ: not a /proc it can read
      expect(processesWithMarker(MARKER, root)).toEqual([]);
    });
  });
});
