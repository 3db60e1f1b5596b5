import { describe, expect, it } from 'vitest';
import { namespaceTools, sealedArgv, type NamespaceHost } from '../../../src/sealed/namespace.js';

function host(over: Partial<NamespaceHost> & { files?: string[] } = {}): NamespaceHost & { runs: string[][] } {
  const files = new Set(over.files ?? ['/usr/bin/unshare', '/usr/sbin/ip']);
  const runs: string[][] = [];
  return {
    platform: over.platform ?? 'linux',
    env: over.env ?? { PATH: '/usr/local/bin:/usr/bin' },
    isExecutable: (file) => files.has(file),
    run: over.run ?? ((file, args) => (runs.push([file, ...args]), { status: 0, stderr: '' })),
    runs,
  };
}

describe('whether a sealed run can start here', () => {
  it('finds unshare on PATH and ip in sbin, and proves a namespace by bringing lo up in one', () => {
    const h = host();
    expect(namespaceTools(h)).toEqual({ unshare: '/usr/bin/unshare', ip: '/usr/sbin/ip' });
    expect(h.runs).toEqual([['/usr/bin/unshare', '--map-current-user', '--keep-caps', '--net', '--', '/usr/sbin/ip', 'link', 'set', 'lo', 'up']]);
  });

  it('gives a one-line reason on macOS and other systems', () => {
    expect(namespaceTools(host({ platform: 'darwin' }))).toEqual({ reason: 'sealed runs need Linux network namespaces, and this is darwin' });
  });

  it('gives a reason when unshare or ip is missing', () => {
    expect(namespaceTools(host({ files: ['/usr/sbin/ip'] }))).toEqual({ reason: '`unshare` (util-linux) was not found on PATH' });
    expect(namespaceTools(host({ files: ['/usr/bin/unshare'] }))).toEqual({ reason: '`ip` (iproute2) was not found on PATH or in /usr/sbin' });
  });

  it('gives the first line of what unshare said when user namespaces are not allowed', () => {
    const h = host({ run: () => ({ status: 1, stderr: 'unshare: unshare failed: Operation not permitted\nmore\n' }) });
    expect(namespaceTools(h)).toEqual({
      reason:
        'this machine does not let capped create a network namespace (unshare: unshare failed: Operation not permitted); user namespaces may be disabled, or unshare is older than util-linux 2.38',
    });
  });
});

describe('the sealed command line', () => {
  it('runs the launcher under unshare with the socket, port and ip, then the agent', () => {
    const argv = sealedArgv({ unshare: '/usr/bin/unshare', ip: '/usr/sbin/ip' }, '/tmp/x/bridge.sock', 4321, ['claude', '-p', 'hi']);
    expect(argv.slice(0, 5)).toEqual(['/usr/bin/unshare', '--map-current-user', '--keep-caps', '--net', '--']);
    expect(argv[5]).toBe(process.execPath);
    expect(argv[6]).toMatch(/sealed[/\\]launcher\.js$/);
    expect(argv.slice(7)).toEqual(['/tmp/x/bridge.sock', '4321', '/usr/sbin/ip', '--', 'claude', '-p', 'hi']);
  });
});
