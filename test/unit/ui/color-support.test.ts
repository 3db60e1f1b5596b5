import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { drawsColor } from '../../../src/ui/color-support.js';
import { resolveFromInk } from '../../helpers/ink-cells.js';

describe('drawsColor', () => {
  it('colours a terminal whose TERM says it can, as chalk does', () => {
    for (const TERM of ['xterm-256color', 'xterm', 'screen', 'tmux-256color', 'linux', 'rxvt-unicode', 'vt100', 'xterm-kitty'])
      expect(drawsColor({ TERM }, true, 'linux'), TERM).toBe(true);
    expect(drawsColor({ TERM: 'unknown', COLORTERM: 'x' }, true, 'linux')).toBe(true);
    expect(drawsColor({ TERM_PROGRAM: 'Apple_Terminal' }, true, 'darwin')).toBe(true);
  });

  it('does not colour a dumb or unknown terminal, output that is not a terminal, or FORCE_COLOR=0', () => {
    expect(drawsColor({ TERM: 'dumb' }, true, 'linux')).toBe(false);
    expect(drawsColor({ TERM: 'unknown' }, true, 'linux')).toBe(false);
    expect(drawsColor({ TERM: 'xterm-256color' }, false, 'linux')).toBe(false);
    expect(drawsColor({ TERM: 'xterm-256color', FORCE_COLOR: '0' }, true, 'linux')).toBe(false);
    expect(drawsColor({ TERM: 'xterm-256color', FORCE_COLOR: 'false' }, true, 'linux')).toBe(false);
  });

  it('follows FORCE_COLOR and CI as chalk does', () => {
    expect(drawsColor({ TERM: 'dumb', FORCE_COLOR: '1' }, false, 'linux')).toBe(true);
    expect(drawsColor({ FORCE_COLOR: '' }, false, 'linux')).toBe(true);
    // A CI chalk does not know: no colour even at a terminal (tmux under CI=true, as the tests run).
    expect(drawsColor({ TERM: 'xterm-256color', CI: 'true' }, true, 'linux')).toBe(false);
    expect(drawsColor({ TERM: 'xterm-256color', CI: 'true', GITHUB_ACTIONS: 'true' }, true, 'linux')).toBe(true);
    expect(drawsColor({ TERM: 'dumb' }, true, 'win32')).toBe(false);
    expect(drawsColor({}, true, 'win32')).toBe(true);
  });
});

describe('drawsColor against chalk', () => {
  const KEYS = ['FORCE_COLOR', 'TERM', 'CI', 'COLORTERM', 'TERM_PROGRAM', 'GITHUB_ACTIONS', 'TF_BUILD', 'AGENT_NAME', 'TEAMCITY_VERSION'] as const;

  it('decides as the supports-color Ink’s chalk carries, over a matrix of environments', async () => {
    const vendored = path.join(path.dirname(resolveFromInk('chalk')), 'vendor/supports-color/index.js');
    const { createSupportsColor } = (await import(pathToFileURL(vendored).href)) as { createSupportsColor: (s: { isTTY: boolean }) => unknown };
    const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
    let compared = 0;
    try {
      for (const FORCE_COLOR of [undefined, '', '0', '1', '3', 'true', 'false', 'yes'])
        for (const TERM of [undefined, 'dumb', 'xterm-256color', 'screen', 'unknown'])
          for (const CI of [undefined, 'true'])
            for (const extra of [{}, { COLORTERM: 'truecolor' }, { GITHUB_ACTIONS: 'true' }, { TERM_PROGRAM: 'iTerm.app' }, { TF_BUILD: '1', AGENT_NAME: 'a' }])
              for (const isTTY of [true, false]) {
                const env: Record<string, string | undefined> = { FORCE_COLOR, TERM, CI, ...extra };
                for (const k of KEYS) {
                  if (env[k] === undefined) delete process.env[k];
                  else process.env[k] = env[k];
                }
                expect(drawsColor(env, isTTY), JSON.stringify({ env, isTTY })).toBe(createSupportsColor({ isTTY }) !== false);
                compared++;
              }
    } finally {
      for (const k of KEYS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
    expect(compared).toBe(8 * 5 * 2 * 5 * 2);
  });
});
