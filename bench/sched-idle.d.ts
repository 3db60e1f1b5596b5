export function runAtIdle(pid: number, exec?: (file: string, args: readonly string[], options: object) => unknown): void;
