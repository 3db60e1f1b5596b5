// The fake agent bench/proxy-overhead.js runs under the real `capped run`: it prints the
// addresses capped gave it (one JSON line on stdout, which capped shares with it) and stays
// until its stdin (capped's, inherited) closes. The bench is the client: it sends the requests
// to those addresses itself, so what it times is capped run's proxy, with its ledger, journal,
// reporter and --record on, and nothing of this process.
process.stdout.write(
  `${JSON.stringify({ anthropic: process.env.ANTHROPIC_BASE_URL, openai: process.env.OPENAI_BASE_URL, gemini: process.env.GOOGLE_GEMINI_BASE_URL })}\n`,
);
process.stdin.on('end', () => process.exit(0)).resume();
