// The guards' data, apart from their rules: types.ts (the engine state) holds these, and the rules read that state.

/** The failing step the conversation keeps retrying, as far as its history shows. */
export interface RetryStreak {
  /** Tells this streak from a later one of the same step (its key and where it began). */
  id: string;
  /** The step as people read it (`npm run build`). */
  step: string;
  /** Attempts in a row that failed the same way. */
  count: number;
  lastError: string;
}

export interface GuardFacts {
  /** The failing streak of the conversation's latest tool call; null when it passed. */
  loop: RetryStreak | null;
  /** Distinct files the run's agent has read so far. */
  filesRead: number;
}

export type GuardTrip = { reason: 'loop'; streak: RetryStreak } | { reason: 'scope'; files: number; limit: number };

/** What the guards already asked about and were told to let go on. */
export interface GuardMarks {
  /** The streak a person let continue, and its length then. */
  loop: { id: string; count: number } | null;
  /** Files read when a person last let the run continue past its scope. */
  scopeFiles: number;
}
