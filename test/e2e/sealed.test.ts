import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic.mjs';
import { fixture, runCapped } from './helpers/run-capped.js';
import { startHttpText, startHttpsText, startPublicCa, startRawTcp, startTlsFront, type Listening } from './helpers/tls-servers.js';

// `capped run --sealed`: the agent's tree in its own network namespace (unshare), whose only way
// out is capped. Provider hosts are stood in for by TLS servers on loopback, reached through the
// CAPPED_SEALED_HOST_MAP test hook; capped trusts their fake public CA via NODE_EXTRA_CA_CERTS.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function fakeProvider(options: Parameters<typeof startFakeAnthropic>[0] = {}) {
  const pub = await startPublicCa();
  const upstream: FakeAnthropic = await startFakeAnthropic(options);
  const front = await startTlsFront(pub, 'api.anthropic.com', Number(new URL(upstream.url).port));
  closers.push(
    () => upstream.close(),
    () => front.close(),
  );
  const env = { NODE_EXTRA_CA_CERTS: pub.file, CAPPED_SEALED_HOST_MAP: `api.anthropic.com=127.0.0.1:${front.port}` };
  return { pub, upstream, front, env };
}

function tracked<T extends Listening>(server: T): T {
  closers.push(() => server.close());
  return server;
}

const CAP = 0.5;

describe('capped run --sealed', () => {
  it('meters a hard-coded https://api.anthropic.com call exactly and stops it at the cap', async () => {
    const { upstream, env } = await fakeProvider({ outputTokens: () => 2000 });
    const result = await runCapped(['run', '--sealed', '--max-usd', String(CAP), '--', 'sh', fixture('sealed-curl-agent.sh')], { env });
    expect(result.code, result.stderr).toBe(3);
    const record = result.record!;
    const billed = upstream.billedUsd();
    expect(record.spent.usd).toBeCloseTo(billed, 8);
    expect(billed).toBeLessThanOrEqual(CAP);
    expect(billed).toBeGreaterThan(CAP * 0.9);
    expect(record.hardStop?.reason).toBe('usd');
    expect(record.spent.requests).toBe(upstream.bill.requests.length);
    // The agent named the real host; capped sent its requests there, for the same host.
    expect(upstream.bill.received[0]!.headers.host).toBe('api.anthropic.com');
    expect(record.sealed?.intercepted['api.anthropic.com']).toBeGreaterThanOrEqual(record.spent.requests);
    expect(result.stderr).toMatch(/agent: HTTP 200/);
    expect(result.stderr).toMatch(/hard stop: the spending cap was reached/);
  });

  it('tunnels and counts an unrelated host, refuses a denied one, and leaves no other way out', async () => {
    const { pub, upstream, env } = await fakeProvider({ outputTokens: () => 100 });
    const tunnel = tracked(await startHttpsText(pub, 'tunnel.test', 'hello from tunnel.test'));
    const blocked = tracked(await startHttpsText(pub, 'blocked.test', 'must not be reached'));
    const plain = tracked(await startHttpText('hello over plain http'));
    const raw = tracked(await startRawTcp());
    // The policy comes from a .budgetrc: `sealed: true` and a deny list.
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-sealed-repo-'));
    fs.writeFileSync(path.join(cwd, '.budgetrc'), 'sealed: true\nsealedDeny: [blocked.test]\n');
    const result = await runCapped(['run', '--max-usd', '1', '--', 'sh', fixture('sealed-probe-agent.sh')], {
      cwd,
      env: {
        ...env,
        CAPPED_SEALED_HOST_MAP: `${env.CAPPED_SEALED_HOST_MAP},tunnel.test=127.0.0.1:${tunnel.port},blocked.test=127.0.0.1:${blocked.port},plain.test=127.0.0.1:${plain.port}`,
        FAKE_CA: pub.file,
        RAW_PORT: String(raw.port),
      },
    });
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toContain('tunnel: hello from tunnel.test');
    expect(out).toContain('plain: hello over plain http');
    expect(out).toContain('denied: curl: (56) CONNECT tunnel failed, response 403\nrc=56');
    expect(result.stderr).toContain('capped: sealed: refused a connection to blocked.test: blocked.test matches sealedDeny entry "blocked.test"');
    expect(out).toContain('raw: ECONNREFUSED');
    // No name resolution and no route: without capped nothing outside is reachable.
    expect(out).toContain('direct: curl: (6) Could not resolve host: tunnel.test\nrc=6');
    expect(out).toContain('python: 200 100');
    expect(out).toContain('provider over http: 200');
    expect(out).toMatch(/distrust: curl: \(60\) SSL certificate problem[^]*\nrc=60\n/);
    expect(result.stderr).toContain("capped: sealed: a client rejected capped's certificate for api.anthropic.com: it does not trust the run CA");
    // The CA certificate files exist during the run, hold no key, and are gone afterwards.
    const certs = /^certs: (\S+) (\S+) files=(.*) keys=(\d+)$/m.exec(out)!;
    expect(certs[3]!.trim()).toBe('bridge.sock ca-bundle.pem node-extra-ca.pem');
    expect(certs[4]).toBe('0');
    expect(fs.existsSync(certs[1]!)).toBe(false);
    expect(fs.existsSync(path.dirname(certs[2]!))).toBe(false);
    expect(raw.connections()).toBe(0);
    expect(blocked.connections()).toBe(0);
    expect(tunnel.connections()).toBe(1);

    const record = result.record!;
    expect(record.sealed?.hosts['tunnel.test']).toMatchObject({ connections: 1 });
    expect(record.sealed!.hosts['tunnel.test']!.bytesDown).toBeGreaterThan(0);
    expect(record.sealed!.hosts['tunnel.test']!.bytesUp).toBeGreaterThan(0);
    expect(record.sealed?.hosts['plain.test']).toEqual({ connections: 1, failed: 0, bytesUp: 0, bytesDown: 'hello over plain http'.length });
    expect(record.sealed?.denied).toEqual({ 'blocked.test': 1 });
    expect(record.sealed?.intercepted['api.anthropic.com']).toBe(3);
    // Python's call and the plain-HTTP one went through the meter, priced as the fake billed them.
    expect(record.spent.requests).toBe(2);
    expect(upstream.bill.requests).toHaveLength(2);
    expect(record.spent.usd).toBeCloseTo(upstream.billedUsd(), 8);
    expect(Object.keys(record.models)).toEqual([expect.stringMatching(/^claude-haiku-4-5/)]);
  });

  it('refuses to start (exit 2) where unshare is missing, and never runs unsealed', async () => {
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'capped-sealed-')), 'ran');
    const result = await runCapped(['run', '--sealed', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`], {
      env: { PATH: '/nonexistent' },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trim()).toBe('capped: This run is sealed (flag --sealed) but cannot be sealed here: `unshare` (util-linux) was not found on PATH.');
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('refuses to start (exit 2) where user namespaces are disabled', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-nouserns-'));
    // What unshare prints on a kernel or container that forbids unprivileged user namespaces.
    fs.writeFileSync(path.join(bin, 'unshare'), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-sealed-repo-'));
    fs.writeFileSync(path.join(cwd, '.budgetrc'), 'sealed: true\n');
    const marker = path.join(cwd, 'ran');
    const result = await runCapped(['run', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`], {
      cwd,
      env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /^capped: This run is sealed \(.*\.budgetrc.*\) but cannot be sealed here: this machine does not let capped create a network namespace \(unshare: unshare failed: Operation not permitted\)/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(marker)).toBe(false);
  });
});
