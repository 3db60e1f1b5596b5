// What the runaway guards cost a request before it is forwarded: GuardWatch.facts over a
// Claude Code-shaped history of N tool calls (each a shell command that reads two files, one in
// seven failing), resent whole on every request as agents do. Run `npm run build` first.
// Usage: node bench/guard-history.js [calls=300] [requests=200]
import { GuardWatch } from '../dist/proxy/guard-watch.js';
import { anthropic } from '../dist/proxy/providers/anthropic.js';

const calls = Number(process.argv[2] ?? 300);
const requests = Number(process.argv[3] ?? 200);
const messages = [{ role: 'user', content: 'fix the build' }];
// Call ids as Claude Code's are: `toolu_01` and 22 random letters and digits.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
let seed = 42;
const idOf = () => `toolu_01${Array.from({ length: 22 }, () => ALPHABET[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % ALPHABET.length]).join('')}`;
for (let i = 0; i < calls; i++) {
  const id = idOf();
  const command = `cat src/dir${i % 40}/file${i}.ts | head -n 50 && grep -rn "foo" src/x${i}.ts`;
  messages.push({ role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input: { command } }] });
  const output = `${'x'.repeat(400)}${i % 7 === 0 ? '\nError: boom\nExit code 1' : ''}`;
  messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: output }] });
}
// Each request is parsed afresh from its body, as the proxy does.
const body = JSON.stringify({ model: 'claude-sonnet-4-5', messages });
const watch = new GuardWatch('/repo');
for (let i = 0; i < 20; i++) watch.facts(anthropic.toolSteps(JSON.parse(body)));
const parsed = Array.from({ length: requests }, () => JSON.parse(body));
const started = process.hrtime.bigint();
for (const json of parsed) watch.facts(anthropic.toolSteps(json));
const us = Number(process.hrtime.bigint() - started) / 1000 / requests;
console.log(`guards: ${calls} tool calls in the history: ${us.toFixed(0)} µs a request (tool history read + guard facts), mean of ${requests}`);
