import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers/run-capped.js';
import { COLUMNS, ROWS, Tmux, waitFor, type LogEntry } from './helpers/tmux.js';

/**
 * The PTY session and the status bar in a real terminal: tmux runs the session (through
 * test/fixtures/tty-harness.mjs and the built modules in dist/), send-keys types, capture-pane
 * reads the screen as the user sees it.
 */

const BAR = '$0.42/$1.50';

let tmux: Tmux;

beforeAll(() => {
  const version = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error('tmux is required for the terminal tests (.ci/install-tmux.sh installs it)');
  if (!fs.existsSync(path.join(ROOT, 'dist/supervisor/pty-session.js'))) throw new Error('run `npm run build` first: the harness uses dist/');
});

afterEach(() => tmux?.kill());

const started = (): LogEntry | undefined => tmux.log().find((e) => e.event === 'started');
const screenText = (): string => tmux.screen().join('\n');

describe('the budget bar in a real terminal (tmux)', () => {
  it('stays on the last row over a child that uses the alternate screen and scrolls its own rows', async () => {
    tmux = new Tmux();
    tmux.startHarness([path.join(FIXTURES, 'tty-altscreen.mjs')]);
    await waitFor('the child to draw several frames', () => /ALT SCREEN APP frame ([5-9]|\d\d)/.test(screenText()), 10_000, screenText);
    expect(tmux.display('#{alternate_on}')).toBe('1');
    // Sample a few times while the child keeps redrawing and scrolling.
    for (let i = 0; i < 5; i++) {
      const screen = tmux.screen();
      expect(screen[ROWS - 1], screen.join('\n')).toContain(BAR);
      expect(screen[ROWS - 1]).toMatch(/^capped .* \$0\.42\/\$1\.50 · \$1\.08 left · top \$0\.08 · claude-sonnet-4-5 · running$/);
      expect(screen[0]).toMatch(/^ALT SCREEN APP frame \d+/);
      expect(screen.slice(0, ROWS - 1).join('\n')).toContain('BOTTOM OF CHILD rows=29');
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    // The child gets one row less than the terminal.
    expect(started()?.rows).toBe(ROWS - 1);
  });

  it('stays on the last row when the child resets the scroll region every frame', async () => {
    tmux = new Tmux();
    tmux.startHarness([path.join(FIXTURES, 'tty-altscreen.mjs'), '--reset-region']);
    await waitFor('the child to draw several frames', () => /ALT SCREEN APP frame ([5-9]|\d\d)/.test(screenText()), 10_000, screenText);
    for (let i = 0; i < 5; i++) {
      const screen = tmux.screen();
      expect(screen[ROWS - 1], screen.join('\n')).toContain(BAR);
      expect(screen.filter((row) => row.includes(BAR))).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
  });

  it('stays on the last row under an inline Ink app redrawing every 16 ms', async () => {
    tmux = new Tmux();
    tmux.startHarness([path.join(FIXTURES, 'tty-ink.mjs')]);
    await waitFor('the Ink app to log past a screenful', () => screenText().includes('log line 40'), 15_000, screenText);
    let misses = 0;
    for (let i = 0; i < 40; i++) {
      const screen = tmux.screen();
      if (!(screen[ROWS - 1] ?? '').includes(BAR) || screen.filter((row) => row.includes(BAR)).length !== 1) misses++;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(misses, screenText()).toBe(0);
    expect(screenText()).toMatch(/INK APP tick \d+\n> prompt box/);
  });

  it('stays on the last row over a child that prints thousands of lines', async () => {
    tmux = new Tmux();
    tmux.startHarness([path.join(FIXTURES, 'tty-flood.mjs'), '5000']);
    await waitFor('the flood to end', () => screenText().includes('FLOOD DONE'), 20_000, screenText);
    const screen = tmux.screen();
    expect(screen[ROWS - 1], screen.join('\n')).toContain(BAR);
    // The child's last row holds its cursor (after the final newline), above it the marker.
    expect(screen[ROWS - 2]).toBe('');
    expect(screen[ROWS - 3]).toBe('FLOOD DONE');
    // Every row above holds a flood line, in order: nothing was drawn over or lost to the bar row.
    const numbers = screen.slice(0, ROWS - 3).map((row) => Number(/^flood line (\d+) x+$/.exec(row)?.[1]));
    expect(numbers).toEqual(Array.from({ length: ROWS - 3 }, (_, i) => 5000 - (ROWS - 4) + i));
    // Lines scrolled off the top went to the scrollback.
    const history = tmux.tmux('capture-pane', '-p', '-S', '-100', '-E', '-1');
    expect(history).toContain(`flood line ${5000 - (ROWS - 3)} `);
  });

  it('shows a question on the bar row that only an offered key answers, then gives the bar back', async () => {
    tmux = new Tmux();
    tmux.startHarness([path.join(FIXTURES, 'tty-size.mjs')], ['--ask', 'Paused: no keystroke for 10m.', '--keys', 'cs', '--ask-after-ms', '200']);
    await waitFor('the question', () => tmux.lastRow().startsWith('Paused: no keystroke for 10m. continue (c) or stop (s)?'), 10_000, screenText);
    // A focus event, a mouse report and a key not offered arrive: none answers.
    const hex = (text: string): string[] => [...text].map((c) => c.charCodeAt(0).toString(16));
    tmux.tmux('send-keys', '-H', ...hex('\x1b[I'));
    tmux.tmux('send-keys', '-H', ...hex('\x1b[<0;5;5M'));
    tmux.tmux('send-keys', 'z');
    // The focus and mouse reports are the child's: they reach it (its PTY echoes them).
    await waitFor('the reports to reach the child', () => screenText().includes('^[[I^[[<0;5;5M'), 10_000, screenText);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(tmux.log().find((e) => e.event === 'answer')).toBeUndefined();
    expect(tmux.lastRow()).toContain('continue (c) or stop (s)?');
    // The key typed at the prompt did not reach the child.
    expect(screenText()).not.toContain('z');
    tmux.tmux('send-keys', 's');
    const answer = await waitFor('the answer', () => tmux.log().find((e) => e.event === 'answer'), 10_000, screenText);
    expect(answer.key).toBe('s');
    await waitFor('the bar back on the last row', () => tmux.lastRow().includes(BAR), 10_000, screenText);
  });

  it('gives the terminal back in cooked mode, main screen, cursor on, mouse off, after the child is killed', async () => {
    tmux = new Tmux();
    tmux.startHarness([path.join(FIXTURES, 'tty-altscreen.mjs')]);
    const entry = await waitFor('the child to start', started, 10_000, screenText);
    await waitFor('the child to draw', () => screenText().includes('ALT SCREEN APP'), 10_000, screenText);
    expect(tmux.display('#{alternate_on} #{mouse_any_flag} #{cursor_flag}')).toBe('1 1 0');
    process.kill(entry.pid!, 'SIGKILL');
    const exit = await waitFor('the harness to see the exit', () => tmux.log().find((e) => e.event === 'exit'), 10_000, screenText);
    expect(exit.signal).toBe('SIGKILL');
    await waitFor('stty -a in the pane', () => /HARNESS EXITED[\s\S]*speed \d+ baud/.test(screenText()), 10_000, screenText);
    const stty = screenText().slice(screenText().indexOf('HARNESS EXITED'));
    expect(stty).toMatch(/(^|\s)icanon(\s|$)/m);
    expect(stty).toMatch(/(^|\s)echo(\s|$)/m);
    expect(stty).toMatch(/(^|\s)isig(\s|$)/m);
    expect(stty).toMatch(/(^|\s)icrnl(\s|$)/m);
    expect(tmux.display('#{alternate_on} #{mouse_any_flag} #{mouse_sgr_flag} #{cursor_flag} #{scroll_region_upper} #{scroll_region_lower}')).toBe(
      `0 0 0 1 0 ${ROWS - 1}`,
    );
    expect(screenText()).not.toContain(BAR);
  });

  it('gives the child rows-1 when the terminal is resized, and moves the bar to the new last row', async () => {
    tmux = new Tmux();
    tmux.startHarness([path.join(FIXTURES, 'tty-size.mjs')]);
    await waitFor('the first size', () => screenText().includes(`SIZE ${COLUMNS}x${ROWS - 1}`), 10_000, screenText);
    tmux.tmux('resize-window', '-x', '120', '-y', '40');
    await waitFor('the new size to reach the child', () => screenText().includes('SIZE 120x39'), 10_000, screenText);
    const screen = await waitFor(
      'the bar on row 40',
      () => {
        const s = tmux.screen();
        return s.length === 40 && (s[39] ?? '').includes(BAR) ? s : undefined;
      },
      10_000,
      screenText,
    );
    // The old bar row was blanked: the bar is drawn once.
    expect(screen.filter((row) => row.includes(BAR))).toHaveLength(1);
  });
});
