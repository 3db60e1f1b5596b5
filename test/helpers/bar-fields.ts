import type { BarFields } from '../../src/ui/bar-layout.js';

/** A bar mid-run: a dollar cap, a quarter of it spent, the costliest request and the model shown. */
export const BAR_FIELDS: BarFields = {
  spent: '$0.42',
  cap: '$1.50',
  fraction: 0.28,
  remaining: '$1.08 left',
  tokensLeft: null,
  actionsLeft: null,
  phase: null,
  costliest: 'top $0.08',
  model: 'claude-sonnet-4-5',
  status: 'running',
};
