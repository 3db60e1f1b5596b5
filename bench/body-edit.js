// What an edited request costs before it is forwarded (the model, the output ceiling, Chat's usage
// option, tools taken out): the body spliced (bytes kept but for the members edited,
// proxy/body-splice.ts) against the edited object serialized whole, on a Claude Code-shaped body of
// N tool calls whose results quote source code. Run `npm run build` first.
// Usage: node bench/body-edit.js [calls=300] [rounds=200]
import { spliceTopLevel } from '../dist/proxy/body-splice.js';

const calls = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 200);
const messages = [{ role: 'user', content: 'fix the build '.repeat(500) }];
for (let i = 0; i < calls; i++) {
  const id = `toolu_01${String(i).padStart(22, 'x')}`;
  messages.push({
    role: 'assistant',
    content: [
      { type: 'text', text: 'Let me look.' },
      { type: 'tool_use', id, name: 'Bash', input: { command: `cat src/file${i}.ts` } },
    ],
  });
  messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'const s = "quoted";\n'.repeat(40) }] });
}
const tools = Array.from({ length: 20 }, (_, i) => ({ name: `tool${i}`, description: 'Does a thing. '.repeat(40), input_schema: { type: 'object' } }));
const raw = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32000, stream: true, system: 'You are a coding agent.', messages, tools }));
const prev = JSON.parse(raw.toString('utf8'));

const time = (f) => {
  for (let i = 0; i < 20; i++) f();
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) f();
  return Number(process.hrtime.bigint() - started) / 1e6 / rounds;
};
// A member replaced (the output ceiling clamped), and one added (Chat's usage option).
const edits = { 'max_tokens replaced': { ...prev, max_tokens: 1000 }, 'stream_options added': { ...prev, stream_options: { include_usage: true } } };
console.log(`edited body of ${(raw.length / 1024).toFixed(0)} KB (${calls} tool calls), mean of ${rounds}:`);
for (const [name, next] of Object.entries(edits)) {
  const spliced = spliceTopLevel(raw, prev, next);
  if (!spliced || JSON.stringify(JSON.parse(spliced.toString('utf8'))) !== JSON.stringify(next))
    throw new Error(`body-edit: the spliced body is not the edited one (${name})`);
  const splice = time(() => spliceTopLevel(raw, prev, next));
  const whole = time(() => Buffer.from(JSON.stringify(next)));
  console.log(`  ${name}: spliced ${splice.toFixed(3)} ms, serialized whole ${whole.toFixed(3)} ms`);
}
