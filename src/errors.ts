/**
 * capped's own exit codes. When the agent ends by itself, capped exits with the agent's code
 * (128 + signal number when a signal ended it), so only these are capped's.
 */
export const EXIT = {
  ok: 0,
  /** Bad usage or configuration; nothing was started. */
  usage: 2,
  /** capped ended the agent because a budget limit was reached. */
  limit: 3,
  /** capped itself failed (a bug or an environment problem), not the agent. */
  internal: 70,
  notExecutable: 126,
  notFound: 127,
} as const;

/** An error that ends capped with a known exit code and a message meant for people. */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export class UsageError extends FatalError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** The agent's program could not be started: not found (127) or not executable (126), as a shell reports. */
export class LaunchError extends FatalError {
  constructor(message: string, exitCode: typeof EXIT.notFound | typeof EXIT.notExecutable) {
    super(message, exitCode);
  }
}
