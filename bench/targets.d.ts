export type Target = { ratio: number } | { p50: number; p99: number | null };
export interface Cell {
  ratio?: number;
  p50?: number;
  p99?: number;
}
export const TARGETS: { p50: number; p99: number; providerP50: number; throughput: number };
export function rowTarget(row: { metric: string; provider?: string; ws?: boolean; from?: string }): Target | null;
export function meets(target: Target, cell: Cell): boolean;
export function targetText(target: Target | null): string;
