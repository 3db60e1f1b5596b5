import type { EnginePolicy } from '../budget/types.js';
import type { Policy } from '../config/types.js';

/**
 * The guards' part of the engine policy. Nobody can answer a question without a terminal, so
 * there `ask` stops the run (as a limit does).
 */
export function guardPolicy(p: Policy, interactive: boolean): Pick<EnginePolicy, 'loop' | 'scope'> {
  return {
    loop: { attempts: p.loop.attempts, onLoop: p.loop.onLoop === 'ask' && !interactive ? 'stop' : p.loop.onLoop },
    scope: { files: p.scope.files, onScope: p.scope.onScope === 'ask' && !interactive ? 'stop' : p.scope.onScope },
  };
}
