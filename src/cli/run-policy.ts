import { usdToNano } from '../budget/money.js';
import type { Caps, EnginePolicy } from '../budget/types.js';
import { verificationUsd } from '../config/resolve.js';
import type { Policy } from '../config/types.js';
import { guardPolicy } from './run-guards.js';

/**
 * The budget engine's caps and policy from the configured policy. Nobody can answer a question
 * without a terminal, so there a limit stops and an escalation is denied. `pause` concerns the
 * daily and weekly windows; a per-run cap under it stops.
 */
export function enginePolicyOf(p: Policy, interactive: boolean): { caps: Caps; engine: EnginePolicy } {
  return {
    caps: { usd: usdToNano(p.maxUsd), tokens: p.maxTokens, actions: p.maxActions },
    engine: {
      onLimit: p.onLimit === 'pause' || (p.onLimit === 'ask' && !interactive) ? 'stop' : p.onLimit,
      downgradeTo: p.downgradeTo,
      escalation: p.escalation === 'ask' && !interactive ? 'deny' : p.escalation,
      escalationDeny: p.escalationDeny,
      verifyNano: usdToNano(verificationUsd(p)),
      model: p.model,
      ...guardPolicy(p, interactive),
    },
  };
}
