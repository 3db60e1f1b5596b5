import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferedRequest, readRequestHead } from '../../../src/proxy/agent-request.js';
import { readBody } from '../../../src/proxy/exchange.js';

describe('readBody', () => {
  it('joins every chunk in order', async () => {
    const req = new PassThrough();
    const body = readBody(req);
    for (const part of ['{"a":', '"é', '"}']) req.write(Buffer.from(part));
    req.end();
    expect((await body)?.toString('utf8')).toBe('{"a":"é"}');
  });

  it('gives a request capped read itself its body as it is, not a copy', async () => {
    const body = Buffer.from('{"model":"m"}');
    const head = readRequestHead(`POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-length: ${body.length}`)!;
    expect(await readBody(new BufferedRequest(head, body))).toBe(body);
  });

  it('gives an empty buffer for an empty body', async () => {
    const req = new PassThrough();
    const body = readBody(req);
    req.end();
    expect((await body)?.length).toBe(0);
  });

  it('gives null past 64 MiB, and reads the stream to its end', async () => {
    const req = new PassThrough();
    const body = readBody(req);
    const mib = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < 64; i++) req.write(mib);
    req.write(Buffer.from('y'));
    req.end();
    expect(await body).toBeNull();
    expect(req.readableEnded).toBe(true);
  });

  it('takes exactly 64 MiB', async () => {
    const req = new PassThrough();
    const body = readBody(req);
    const mib = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < 64; i++) req.write(mib);
    req.end();
    expect((await body)?.length).toBe(64 * 1024 * 1024);
  });

  it('rejects when the stream fails', async () => {
    const req = new PassThrough();
    const body = readBody(req);
    req.write('{"a"');
    req.destroy(new Error('socket hang up'));
    await expect(body).rejects.toThrow('socket hang up');
  });

  it('rejects when the stream closes before its end', async () => {
    const req = new PassThrough();
    const body = readBody(req);
    req.write('{"a"');
    req.destroy();
    await expect(body).rejects.toThrow('closed before its body ended');
  });

  describe('on a real request', () => {
    let server: http.Server | null = null;
    afterEach(() => {
      server?.closeAllConnections();
      server?.close();
      server = null;
    });

    it('rejects when the client hangs up halfway through the body', async () => {
      const outcome = new Promise<string>((resolve) => {
        server = http.createServer((req) => {
          readBody(req).then(
            () => resolve('resolved'),
            () => resolve('rejected'),
          );
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const { port } = server!.address() as AddressInfo;
      const client = http.request({ port, host: '127.0.0.1', method: 'POST', headers: { 'content-length': '1000' } });
      client.on('error', () => {});
      client.write('{"model":');
      setTimeout(() => client.destroy(), 50);
      expect(await outcome).toBe('rejected');
    });
  });
});
