/** The outside world a PTY session talks to, narrowed to what it uses (fakes in tests). */

/** The part of a node-pty terminal the session uses. */
export interface PtyProcess {
  readonly pid: number;
  onData(listener: (data: string) => void): { dispose(): void };
  onExit(listener: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  resize(columns: number, rows: number): void;
  write(data: string): void;
  pause(): void;
  resume(): void;
}

/** What spawns it (`@lydell/node-pty` in production). */
export interface PtyModule {
  spawn(file: string, args: string[], options: { name?: string; cols: number; rows: number; cwd: string; env: NodeJS.ProcessEnv }): PtyProcess;
}

/** capped's stdin (process.stdin): a terminal, put in raw mode for the session. */
export interface SessionInput {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', listener: (data: Buffer | string) => void): unknown;
  off(event: 'data', listener: (data: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** capped's stdout (process.stdout): the terminal the child and the bar are drawn on. */
export interface SessionOutput {
  readonly rows: number;
  readonly columns: number;
  write(text: string): boolean;
  on(event: 'resize' | 'drain', listener: () => void): unknown;
  off(event: 'resize' | 'drain', listener: () => void): unknown;
}
