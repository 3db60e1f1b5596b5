import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startPtySession, type PtyModule, type PtyProcess, type PtySessionOptions } from '../../../src/supervisor/pty-session.js';
import type { Clock } from '../../../src/supervisor/terminate.js';

const E = '\x1b';

class FakePty implements PtyProcess {
  readonly pid = 4242;
  readonly written: string[] = [];
  readonly sizes: [number, number][] = [];
  paused = false;
  private dataListener: ((d: string) => void) | null = null;
  private exitListener: ((e: { exitCode: number; signal?: number }) => void) | null = null;
  constructor(
    readonly file: string,
    readonly args: string[],
    readonly options: { cols: number; rows: number; cwd: string; name?: string },
  ) {}
  onData(listener: (d: string) => void) {
    this.dataListener = listener;
    return { dispose: () => (this.dataListener = null) };
  }
  onExit(listener: (e: { exitCode: number; signal?: number }) => void) {
    this.exitListener = listener;
    return { dispose: () => (this.exitListener = null) };
  }
  resize(columns: number, rows: number) {
    this.sizes.push([columns, rows]);
  }
  write(data: string) {
    this.written.push(data);
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  output(data: string) {
    this.dataListener?.(data);
  }
  exit(exitCode: number, signal?: number) {
    this.exitListener?.(signal === undefined ? { exitCode } : { exitCode, signal });
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  raw: boolean[] = [];
  flowing = false;
  setRawMode(raw: boolean) {
    this.raw.push(raw);
  }
  resume() {
    this.flowing = true;
  }
  pause() {
    this.flowing = false;
  }
  type(text: string) {
    this.emit('data', Buffer.from(text));
  }
}

class FakeStdout extends EventEmitter {
  rows = 30;
  columns = 100;
  text = '';
  write(text: string) {
    this.text += text;
    return true;
  }
  take(): string {
    const t = this.text;
    this.text = '';
    return t;
  }
}

function setup(overrides: Partial<PtySessionOptions> = {}) {
  const log: string[] = [];
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  let pty: FakePty | null = null;
  const ptyModule: PtyModule = {
    spawn: (file, args, options) => {
      log.push(`spawn ${file} ${args.join(' ')} ${options.cols}x${options.rows}`);
      pty = new FakePty(file, args, options);
      return pty;
    },
  };
  let now = 1_000;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
  const exitHooks = new EventEmitter();
  const stty = {
    save: () => {
      log.push(`stty save (raw calls so far: ${stdin.raw.length})`);
      return 'saved-state';
    },
    restore: (state: string) => log.push(`stty restore ${state}`),
  };
  const session = startPtySession({
    command: 'agent',
    args: ['--flag'],
    env: { TERM: 'xterm-256color', PATH: '/bin' },
    cwd: '/work',
    stdin,
    stdout,
    clock,
    pty: ptyModule,
    stty,
    exitHooks,
    resolve: (command) => `/usr/bin/${command}`,
    bar: (columns) => `BAR@${columns}`,
    ...overrides,
  });
  return { session, stdin, stdout, pty: pty!, log, exitHooks, clock, sleeps, advance: (ms: number) => (now += ms) };
}

describe('startPtySession', () => {
  it('saves the terminal settings, goes raw, sets up the bar and starts the child one row shorter', () => {
    const { stdin, stdout, log, session } = setup();
    expect(log).toEqual(['stty save (raw calls so far: 0)', 'spawn /usr/bin/agent --flag 100x29']);
    expect(stdin.raw).toEqual([true]);
    expect(stdin.flowing).toBe(true);
    expect(stdout.text).toContain(`${E}[1;29r`);
    expect(stdout.text).toContain(`${E}[30;1H${E}[0m${E}[2KBAR@100`);
    expect(session.size()).toEqual({ rows: 29, columns: 100 });
    expect(session.pid).toBe(4242);
  });

  it('passes child output through with the bar painted in the same write', () => {
    const { pty, stdout } = setup();
    stdout.take();
    pty.output('hello');
    expect(stdout.take()).toMatch(new RegExp(`^\\${E}\\[\\?2026hhello.*BAR@100.*\\${E}\\[\\?2026l$`));
  });

  it('forwards keystrokes to the child and records them; focus and mouse reports are forwarded but not counted', () => {
    const { session, stdin, pty, advance } = setup();
    advance(5_000);
    stdin.type(`${E}[I${E}[<0;3;4M`);
    expect(session.idle.idleMs()).toBe(5_000);
    stdin.type('x');
    expect(session.idle.idleMs()).toBe(0);
    expect(pty.written).toEqual([`${E}[I${E}[<0;3;4M`, 'x']);
  });

  it('asks on the bar row: only an offered key typed alone answers, and keys do not reach the child meanwhile', async () => {
    const { session, stdin, stdout, pty } = setup();
    stdout.take();
    const answer = session.ask((columns) => `Continue (c) or stop (s)? @${columns}`, ['c', 's']);
    await Promise.resolve();
    expect(stdout.take()).toContain(`${E}[30;1H${E}[0m${E}[2KContinue (c) or stop (s)? @100`);
    stdin.type(`${E}[I`); // focus regained
    stdin.type(`${E}[200~s${E}[201~`); // a paste
    stdin.type('xs'); // a burst of bytes
    stdin.type('q'); // not offered
    stdin.type(`${E}[24;1R`); // a terminal reply: still the child's
    session.setBar('NEW BAR'); // held back while the prompt shows
    expect(stdout.take()).toBe('');
    stdin.type('S');
    expect(await answer).toBe('s');
    expect(pty.written).toEqual([`${E}[I`, `${E}[24;1R`]);
    expect(stdout.take()).toContain(`${E}[2KNEW BAR`);
    stdin.type('z');
    expect(pty.written.at(-1)).toBe('z');
  });

  it('draws the question even when the paused child stopped mid-sequence', async () => {
    const { session, pty, stdout, sleeps } = setup();
    pty.output(`${E}[3`);
    stdout.take();
    const answer = session.ask('Continue (c)?', ['c']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sleeps).toEqual([150]);
    expect(stdout.take()).toBe(`\x18${E}[?2026h${E}[?25l${E}7${E}[?7l${E}[30;1H${E}[0m${E}[2KContinue (c)?${E}[?7h${E}8${E}[?25h${E}[?2026l`);
    pty.exit(0);
    expect(await answer).toBeNull();
  });

  it('asks one question at a time', async () => {
    const { session, stdin } = setup();
    const first = session.ask('first?', ['a']);
    const second = session.ask('second?', ['b']);
    await Promise.resolve();
    stdin.type('b'); // not an answer to the first question
    stdin.type('a');
    expect(await first).toBe('a');
    await new Promise((resolve) => setImmediate(resolve));
    stdin.type('b');
    expect(await second).toBe('b');
  });

  it('reads an amount on the bar row', async () => {
    const { session, stdin, stdout } = setup();
    const amount = session.askLine((text) => `Max spend: $${text}_`);
    await Promise.resolve();
    for (const key of ['2', 'x', '.', '7', '\x7f', '5', '\r']) stdin.type(key);
    expect(await amount).toBe('2.5');
    expect(stdout.text).toContain('Max spend: $2.7_');
    const cancelled = session.askLine((text) => `$${text}`);
    await new Promise((resolve) => setImmediate(resolve));
    stdin.type('3');
    stdin.type(E);
    expect(await cancelled).toBeNull();
  });

  it('gives the child rows-1 on resize and moves the bar, re-rendered for the new width', () => {
    const { stdout, pty } = setup();
    stdout.take();
    stdout.rows = 40;
    stdout.columns = 120;
    stdout.emit('resize');
    expect(pty.sizes).toEqual([[120, 39]]);
    const out = stdout.take();
    expect(out).toContain(`${E}[1;39r`);
    expect(out).toContain(`${E}[40;1H${E}[0m${E}[2KBAR@120`);
  });

  it('nudges the child to repaint: one row less, then back', async () => {
    const { session, pty, sleeps } = setup();
    await session.redraw();
    expect(pty.sizes).toEqual([
      [100, 28],
      [100, 29],
    ]);
    expect(sleeps).toEqual([50]);
  });

  it('restores the terminal when the child exits, and reports its exit code', async () => {
    const { session, pty, stdin, stdout, log, exitHooks } = setup();
    stdout.take();
    expect(exitHooks.listenerCount('exit')).toBe(1);
    pty.exit(3);
    expect(await session.exited).toEqual({ code: 3, signal: null });
    const out = stdout.take();
    expect(out).toBe(
      `${E}[?1049l${E}7${E}[30;1H${E}[0m${E}[2K${E}[r${E}8${E}[?25h${E}[?1000l${E}[?1002l${E}[?1003l${E}[?1006l${E}[?2004l${E}[?1004l${E}[<u${E}[0m`,
    );
    expect(stdin.raw).toEqual([true, false]);
    expect(log.at(-1)).toBe('stty restore saved-state');
    expect(stdin.flowing).toBe(false);
    expect(stdin.listenerCount('data')).toBe(0);
    expect(stdout.listenerCount('resize')).toBe(0);
    expect(exitHooks.listenerCount('exit')).toBe(0);
    session.restore();
    expect(stdout.take()).toBe('');
    expect(stdin.raw).toEqual([true, false]);
  });

  it('names the signal that killed the child, and answers an open question with null', async () => {
    const { session, pty } = setup();
    const answer = session.ask('still there?', ['y']);
    await Promise.resolve();
    pty.exit(0, 9);
    expect(await session.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await answer).toBeNull();
    expect(await session.ask('after the end?', ['y'])).toBeNull();
  });

  it('restores the terminal on process exit (capped itself failing)', () => {
    const { exitHooks, stdin, log } = setup();
    exitHooks.emit('exit');
    expect(stdin.raw).toEqual([true, false]);
    expect(log.at(-1)).toBe('stty restore saved-state');
  });

  it('restores the terminal when the child cannot be started', () => {
    const stdin = new FakeStdin();
    const stdout = new FakeStdout();
    const restored: string[] = [];
    expect(() =>
      startPtySession({
        command: 'agent',
        args: [],
        env: {},
        cwd: '/',
        stdin,
        stdout,
        pty: {
          spawn: () => {
            throw new Error('forkpty failed');
          },
        },
        stty: { save: () => 'state', restore: (s) => restored.push(s) },
        exitHooks: new EventEmitter(),
        resolve: (c) => c,
      }),
    ).toThrow('forkpty failed');
    expect(stdin.raw).toEqual([true, false]);
    expect(restored).toEqual(['state']);
    expect(stdout.text).toContain(`${E}[r`);
  });

  it('pauses the child while the terminal cannot keep up', () => {
    const { pty, stdout } = setup();
    stdout.write = () => false;
    pty.output('a lot');
    expect(pty.paused).toBe(true);
    stdout.emit('drain');
    expect(pty.paused).toBe(false);
  });
});
