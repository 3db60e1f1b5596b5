export interface MedianInterval {
  median: number;
  low: number;
  high: number;
  n: number;
}
export function medianInterval(values: readonly number[]): MedianInterval | null;
export function pairedChange<S>(a: readonly S[], b: readonly S[], measure: (s: S) => number, kind: 'difference' | 'ratio'): MedianInterval | null;
export function pairedText(interval: MedianInterval | null, kind: 'difference' | 'ratio'): string;
export function roundOrder<T>(items: readonly T[], round: number): T[];
