/** Daily and weekly budget windows in local time: a day starts at midnight, a week on Monday. */
export type WindowKind = 'daily' | 'weekly';

/** The start of the window containing `now`. */
export function windowStart(kind: WindowKind, now: Date): Date {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  if (kind === 'weekly') start.setDate(start.getDate() - ((start.getDay() + 6) % 7));
  return start;
}

/** When the window containing `now` ends (and the next begins). */
export function windowEnd(kind: WindowKind, now: Date): Date {
  const start = windowStart(kind, now);
  const end = new Date(start);
  end.setDate(end.getDate() + (kind === 'daily' ? 1 : 7));
  return end;
}
