import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCapped } from './helpers/run-capped.js';

let silent: net.Server | null = null;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise((resolve) => (silent ? silent.close(resolve) : resolve(undefined)));
  silent = null;
});

describe('a signal while capped is still starting', () => {
  it('is held until the agent exists, then ends it like any signal from outside: exit 143, record written', { timeout: 40_000 }, async () => {
    // A "PostgreSQL" that accepts and never answers keeps capped starting up (until the driver's
    // 10 s connect timeout) after it has printed a warning; the signal is sent on that warning.
    silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const result = await runCapped(['run', '--max-usd', '1', '--', process.execPath, '-e', 'setTimeout(() => {}, 30000)'], {
      env: { CAPPED_MAX_USDD: '1', CAPPED_LEDGER_URL: `postgres://capped@127.0.0.1:${port}/capped` },
      timeoutMs: 35_000,
      onStart: (child) => child.stderr!.once('data', () => child.kill('SIGTERM')),
    });
    expect(result.signal, result.stderr).toBeNull();
    expect(result.stderr).toContain('CAPPED_MAX_USDD is not a capped setting');
    expect(result.stderr).toContain('the run ledger could not be opened');
    expect(result.code, result.stderr).toBe(143);
    expect(result.record!.exitCode).toBe(143);
    expect(result.record!.hardStop).toBeNull();
  });
});
