import type { Command } from 'commander';
import { CONTROL_URL_VAR } from '../supervisor/agent-env.js';
import { FatalError, UsageError } from '../errors.js';

export interface PhaseDeps {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  fetch?: typeof fetch;
}

/**
 * `capped phase verification|implementation`: for agent hooks (e.g. a Claude Code hook around
 * test commands), tells the running session which phase the agent is in.
 */
export async function setPhase(phase: string, deps: PhaseDeps): Promise<void> {
  if (phase !== 'verification' && phase !== 'implementation') {
    throw new UsageError(`Expected the phase to be \`verification\` or \`implementation\`, got \`${phase}\`.`);
  }
  const url = deps.env[CONTROL_URL_VAR];
  if (!url) {
    throw new UsageError(
      `\`capped phase\` works inside a \`capped run\` session (it reads ${CONTROL_URL_VAR}, which capped sets for the agent and its hooks).`,
    );
  }
  const doFetch = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${url}/phase`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phase }) });
  } catch (err) {
    throw new FatalError(`capped phase: the session at ${CONTROL_URL_VAR} did not answer (${(err as Error).message}); has the run ended?`, 1);
  }
  if (!res.ok) throw new FatalError(`capped phase: the session refused: ${res.status} ${await res.text()}`, 1);
  deps.stdout(`phase: ${phase}\n`);
}

export function registerPhaseCommand(program: Command, deps: PhaseDeps): void {
  program
    .command('phase')
    .summary('tell the running session the agent is verifying or implementing (for agent hooks)')
    .argument('<phase>', 'verification or implementation')
    .action(async (phase: string) => setPhase(phase, deps));
}
