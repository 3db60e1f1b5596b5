/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

const normalise = (word: string): string => word.toLowerCase().replace(/[-_.\s]/g, '');

/**
 * The candidate a mistyped key most likely meant, or null when none is close. Case, `-` and `_`
 * are ignored first (`maxUSD`, `max_usd`, `max-usd` → `maxUsd`); then a candidate the word begins
 * (`retention` → `retentionDays`); otherwise the nearest candidate within an edit distance of 40%
 * of the word's length (at least 2).
 */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  const target = normalise(word);
  const exact = candidates.find((c) => normalise(c) === target);
  if (exact !== undefined) return exact;
  const extended = target.length >= 4 ? candidates.find((c) => normalise(c).startsWith(target)) : undefined;
  if (extended !== undefined) return extended;
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(target.length * 0.4));
  for (const candidate of candidates) {
    const distance = levenshtein(target, normalise(candidate));
    if (distance < bestDistance || (distance === bestDistance && best === null)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
