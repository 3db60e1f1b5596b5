// The fake agent bench/proxy-overhead.js runs under the real `capped run`: it prints the
// addresses capped gave it (one JSON line on stdout, which capped shares with it) and stays
// until its stdin (capped's, inherited) closes. The bench is the client: it sends the requests
// to those addresses itself, so what it times is capped run's proxy, with its ledger, journal,
// reporter and --record on, and nothing of this process.
process.stdout.write(
  `${JSON.stringify({ anthropic: process.env.ANTHROPIC_BASE_URL, openai: process.env.OPENAI_BASE_URL, gemini: process.env.GOOGLE_GEMINI_BASE_URL })}\n`,
);
process.stdin.on('end', () => process.exit(0)).resume();

// In a terminal (BENCH_AGENT_FPS > 0): redraw a screen of 40 lines (about 5 KB, styled, the
// cursor moved back up over it) that many times a second, as an agent's terminal UI does while it
// streams an answer. capped passes each frame through its PTY and repaints its bar with it.
const fps = Number(process.env.BENCH_AGENT_FPS ?? 0);
if (fps > 0) {
  const line = (i) => `\x1b[2K\x1b[38;5;246m│\x1b[39m \x1b[1mline ${String(i).padStart(2)}\x1b[22m streaming answer text ${'x'.repeat(80)}\n`;
  const frame = `\x1b[40A${Array.from({ length: 40 }, (_, i) => line(i)).join('')}`;
  setInterval(() => process.stdout.write(frame), 1000 / fps);
}
