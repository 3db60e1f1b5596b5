import { describe, expect, it } from 'vitest';
import { agentEnvironment, RUN_MARKER_VAR } from '../../../src/supervisor/agent-env.js';

const URLS = { ANTHROPIC_BASE_URL: 'http://127.0.0.1:4321/secret/anthropic' };

describe('agentEnvironment', () => {
  it('keeps the user environment, points base URLs at the proxy and adds the run marker', () => {
    const base = { HOME: '/home/u', PATH: '/bin', ANTHROPIC_API_KEY: 'sk-ant-x', ANTHROPIC_BASE_URL: 'https://gateway.example' };
    const env = agentEnvironment(base, URLS, 'run-1');
    expect(env).toEqual({
      HOME: '/home/u',
      PATH: '/bin',
      ANTHROPIC_API_KEY: 'sk-ant-x',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4321/secret/anthropic',
      CAPPED_RUN_ID: 'run-1',
    });
    expect(RUN_MARKER_VAR).toBe('CAPPED_RUN_ID');
    // the caller's environment is not changed
    expect(base.ANTHROPIC_BASE_URL).toBe('https://gateway.example');
    expect('CAPPED_RUN_ID' in base).toBe(false);
  });

  it('overrides a marker inherited from an outer capped run', () => {
    expect(agentEnvironment({ CAPPED_RUN_ID: 'outer' }, URLS, 'inner').CAPPED_RUN_ID).toBe('inner');
  });

  it('leaves NO_PROXY alone when no HTTP proxy is configured', () => {
    const env = agentEnvironment({ NO_PROXY: 'corp.example' }, URLS, 'r');
    expect(env.NO_PROXY).toBe('corp.example');
    expect(env.no_proxy).toBeUndefined();
    expect(agentEnvironment({}, URLS, 'r')).not.toHaveProperty('NO_PROXY');
  });

  it.each(['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'])(
    'exempts loopback from the proxy when %s is set',
    (variable) => {
      const env = agentEnvironment({ [variable]: 'http://proxy.corp:3128' }, URLS, 'r');
      expect(env.NO_PROXY).toBe('127.0.0.1,localhost,::1');
      expect(env.no_proxy).toBe('127.0.0.1,localhost,::1');
      expect(env[variable]).toBe('http://proxy.corp:3128');
    },
  );

  it('adds loopback to existing NO_PROXY lists without duplicates', () => {
    const env = agentEnvironment({ HTTPS_PROXY: 'http://p:1', NO_PROXY: ' corp.example , localhost,', no_proxy: '.internal' }, URLS, 'r');
    expect(env.NO_PROXY).toBe('corp.example,localhost,127.0.0.1,::1');
    expect(env.no_proxy).toBe('.internal,127.0.0.1,localhost,::1');
  });

  it('treats an empty proxy variable as unset', () => {
    expect(agentEnvironment({ HTTPS_PROXY: '' }, URLS, 'r').NO_PROXY).toBeUndefined();
  });
});
