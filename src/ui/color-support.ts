/**
 * Whether a run in a terminal draws in colour: the choice chalk 5 makes for stdout (its vendored
 * supports-color, from the environment), which Ink's components followed when they drew the run's
 * screens. capped's NO_COLOR and `--color`-style flags of its own are applied by the caller.
 */
export function drawsColor(env: Readonly<Record<string, string | undefined>>, stdoutIsTTY: boolean, platform: string = process.platform): boolean {
  let force: number | undefined;
  if (env.FORCE_COLOR !== undefined) {
    const f = env.FORCE_COLOR;
    force = f === 'true' || f === '' ? 1 : f === 'false' ? 0 : Math.min(Number.parseInt(f, 10), 3);
  }
  if (force === 0) return false;
  if (env.TF_BUILD !== undefined && env.AGENT_NAME !== undefined) return true;
  if (!stdoutIsTTY && force === undefined) return false;
  // NaN (FORCE_COLOR=yes) counts as no minimum, as in supports-color.
  const min = (force || 0) > 0;
  if (env.TERM === 'dumb') return min;
  if (platform === 'win32') return true;
  if (env.CI !== undefined) {
    if (['GITHUB_ACTIONS', 'GITEA_ACTIONS', 'CIRCLECI', 'TRAVIS', 'APPVEYOR', 'GITLAB_CI', 'BUILDKITE', 'DRONE'].some((k) => env[k] !== undefined)) return true;
    return env.CI_NAME === 'codeship' || min;
  }
  if (env.TEAMCITY_VERSION !== undefined) return /^(9\.(0*[1-9]\d*)\.|\d{2,}\.)/.test(env.TEAMCITY_VERSION);
  if (env.COLORTERM === 'truecolor' || ['xterm-kitty', 'xterm-ghostty', 'wezterm'].includes(env.TERM ?? '')) return true;
  if (env.TERM_PROGRAM === 'iTerm.app' || env.TERM_PROGRAM === 'Apple_Terminal') return true;
  const term = env.TERM ?? '';
  if (/-256(color)?$/i.test(term) || /^screen|^xterm|^vt100|^vt220|^rxvt|color|ansi|cygwin|linux/i.test(term)) return true;
  if (env.COLORTERM !== undefined) return true;
  return min;
}
