const UNITS: Record<string, { ms: number; name: string }> = {
  w: { ms: 7 * 86_400_000, name: 'week' },
  d: { ms: 86_400_000, name: 'day' },
  h: { ms: 3_600_000, name: 'hour' },
  m: { ms: 60_000, name: 'minute' },
};

/** Parses a span like `7d`, `24h`, `30m` or `2w` into milliseconds; null when it is not one. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*([wdhm])$/i.exec(text.trim());
  if (!match) return null;
  const n = Number(match[1]);
  const ms = n * UNITS[match[2]!.toLowerCase()]!.ms;
  return n > 0 && Number.isSafeInteger(ms) ? ms : null;
}

/** A span in words for headings: `7 days`, `24 hours`, `90 minutes`. */
export function spanText(ms: number): string {
  for (const unit of [UNITS.d!, UNITS.h!, UNITS.m!]) {
    if (ms >= unit.ms && ms % unit.ms === 0) {
      const n = ms / unit.ms;
      return `${n} ${unit.name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${Math.round(ms / 60_000)} minutes`;
}
