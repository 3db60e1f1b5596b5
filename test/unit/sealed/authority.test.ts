import { describe, expect, it } from 'vitest';
import { parseAuthority, parseHostMap } from '../../../src/sealed/authority.js';

describe('CONNECT targets', () => {
  it('reads host:port, lower-casing the host', () => {
    expect(parseAuthority('api.anthropic.com:443')).toEqual({ host: 'api.anthropic.com', port: 443 });
    expect(parseAuthority('GitHub.com:22')).toEqual({ host: 'github.com', port: 22 });
    expect(parseAuthority('example.com.:8443')).toEqual({ host: 'example.com', port: 8443 });
    expect(parseAuthority('10.1.2.3:1')).toEqual({ host: '10.1.2.3', port: 1 });
  });

  it('reads IPv6 addresses in brackets', () => {
    expect(parseAuthority('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseAuthority('[2001:db8::1]:8080')).toEqual({ host: '2001:db8::1', port: 8080 });
  });

  it('rejects anything else', () => {
    for (const bad of [
      'api.anthropic.com',
      'api.anthropic.com:',
      ':443',
      'host:0',
      'host:65536',
      'host:443/path',
      'http://host:443',
      'a b:443',
      '::1:443',
      'host:-1',
      '.host:443',
      'a..b:443',
      'user@host:443',
    ]) {
      expect(parseAuthority(bad), bad).toBeNull();
    }
  });
});

describe('the host map test hook', () => {
  it('maps names to loopback addresses', () => {
    expect(parseHostMap('api.anthropic.com=127.0.0.1:4431, Tunnel.test=127.0.0.1:4432')).toEqual(
      new Map([
        ['api.anthropic.com', { host: '127.0.0.1', port: 4431 }],
        ['tunnel.test', { host: '127.0.0.1', port: 4432 }],
      ]),
    );
    expect(parseHostMap(undefined).size).toBe(0);
  });

  it('throws on an entry it cannot read instead of ignoring it', () => {
    expect(() => parseHostMap('api.anthropic.com')).toThrow('Expected CAPPED_SEALED_HOST_MAP entries like host=127.0.0.1:port, got `api.anthropic.com`.');
    expect(() => parseHostMap('a=127.0.0.1')).toThrow(/got `a=127.0.0.1`/);
  });
});
