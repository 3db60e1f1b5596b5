// A proxy on loopback in front of the fake OpenAI upstream, both closed after each test.
import { afterEach } from 'vitest';
import { createProxy, type Proxy } from '../../src/proxy/server.js';
import type { ProxyDeps } from '../../src/proxy/proxy-deps.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fixtures/fake-openai.mjs';

export function fakeOpenAIProxies(): { upstream(options: FakeOpenAIOptions): Promise<FakeOpenAI>; proxy(deps: ProxyDeps): Proxy } {
  let upstream: FakeOpenAI | null = null;
  let proxy: Proxy | null = null;
  afterEach(async () => {
    proxy?.close();
    proxy = null;
    await upstream?.close();
    upstream = null;
  });
  return {
    async upstream(options) {
      upstream = await startFakeOpenAI(options);
      return upstream;
    },
    proxy(deps) {
      proxy = createProxy(deps);
      return proxy;
    },
  };
}
