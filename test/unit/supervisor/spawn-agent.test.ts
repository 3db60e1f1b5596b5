import { describe, expect, it } from 'vitest';
import { shellExitCode } from '../../../src/supervisor/spawn-agent.js';

describe('shellExitCode', () => {
  it('is the agent’s own code when it exited', () => {
    expect(shellExitCode({ code: 7, signal: null })).toBe(7);
    expect(shellExitCode({ code: 0, signal: null })).toBe(0);
  });

  it('is 128 + the signal number when a signal ended it, for every signal', () => {
    expect(shellExitCode({ code: null, signal: 'SIGTERM' })).toBe(143);
    expect(shellExitCode({ code: null, signal: 'SIGINT' })).toBe(130);
    expect(shellExitCode({ code: null, signal: 'SIGKILL' })).toBe(137);
    expect(shellExitCode({ code: null, signal: 'SIGSEGV' })).toBe(139);
    expect(shellExitCode({ code: null, signal: 'SIGABRT' })).toBe(134);
  });
});
