import { describe, expect, it } from 'vitest';
import { agentRows, formatAgents } from '../../../src/cli/agents.js';

describe('capped agents', () => {
  const rows = agentRows();

  it('lists every agent with how it is redirected, the settings read and how it was verified', () => {
    expect(rows.map((r) => r.id)).toEqual(['claude', 'codex', 'gemini', 'qwen', 'opencode', 'kilo', 'crush', 'aider', 'goose', 'generic']);
    const qwen = rows.find((r) => r.id === 'qwen')!;
    expect(qwen.reads.join(' ')).toContain('--openai-base-url');
    expect(qwen.reads.join(' ')).toContain('modelProviders');
    expect(qwen.verified).toContain('end to end');
    expect(qwen.env).toEqual({ OPENAI_BASE_URL: '<proxy>/openai', ANTHROPIC_BASE_URL: '<proxy>/anthropic', GOOGLE_GEMINI_BASE_URL: '<proxy>/gemini' });
    const crush = rows.find((r) => r.id === 'crush')!;
    expect(crush.env).toEqual({ CRUSH_GLOBAL_CONFIG: '<run-dir>/crush' });
    expect(crush.verified).toContain('not run here');
  });

  it("shows what each agent gets with none of the user's settings", () => {
    const kilo = rows.find((r) => r.id === 'kilo')!;
    const content = JSON.parse(kilo.env.KILO_CONFIG_CONTENT!) as { enabled_providers: string[] };
    expect(content.enabled_providers).toEqual(['anthropic', 'openai', 'google']);
    expect(rows.find((r) => r.id === 'codex')!.args).toEqual(['-c', 'openai_base_url="<proxy>/openai"']);
  });

  it('prints redirect, reads and verified lines per agent', () => {
    const text = formatAgents(rows);
    expect(text).toContain('  qwen-code (qwen, qwen-code)\n    redirect   --openai-base-url rewritten on the command line');
    expect(text.match(/^ {4}verified {3}/gm)).toHaveLength(rows.length);
    expect(text.match(/^ {4}redirect {3}/gm)).toHaveLength(rows.length);
    expect(text).toContain('stops the run before it starts (exit 2)');
  });
});
