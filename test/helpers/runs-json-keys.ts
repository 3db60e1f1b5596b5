/**
 * The fields of a run in `capped runs --json`, in their order: a contract other programs read, so
 * the unit and the CLI tests pin the same list (a `runs show` run adds `record` at the end).
 */
export const RUN_SUMMARY_JSON_KEYS = [
  'id',
  'command',
  'cwd',
  'repo',
  'host',
  'pid',
  'startedAt',
  'endedAt',
  'status',
  'spentUsd',
  'budgetUsd',
  'requestCount',
  'exceededInitialBudget',
  'hardStop',
  'breachCause',
] as const;
