import type { Cell, Target } from './targets.js';

export interface Row {
  key: string;
  name: string;
  metric: string;
  target: Target | null;
  paths: Record<string, Cell>;
}
export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}
export interface RowSummary {
  key: string;
  name: string;
  metric: string;
  target: Target | null;
  paths: Record<string, Spread & { met: number | null }>;
  overBare: Spread | null;
}
export function spread(values: readonly number[]): Spread | null;
export function summarizeRuns(runs: readonly { rows: readonly Row[] }[]): RowSummary[];
export function summaryTable(summary: readonly RowSummary[], labels: Record<string, string>): string;
export function settingsText(env: Record<string, string | undefined>): string;
