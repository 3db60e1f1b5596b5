import { describe, expect, it } from 'vitest';
import { ClientWrites, COALESCE_MAX_BYTES } from '../../../src/proxy/client-writes.js';
import { FakeResponse, FakeUpstream } from '../../helpers/fake-relay-ends.js';
import type http from 'node:http';

function writes(opts: { gone?: () => boolean; held?: () => boolean } = {}) {
  const res = new FakeResponse();
  const upstream = new FakeUpstream();
  const out = new ClientWrites({ res: res as unknown as http.ServerResponse, upstream, clientGone: opts.gone ?? (() => false) }, opts.held);
  return { res, upstream, out };
}
const text = (res: FakeResponse): string[] => res.writes.map((b) => b.toString());
const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ClientWrites', () => {
  it("writes a turn's first piece at once and the rest of its small pieces as one write, at the end of the turn", async () => {
    const { res, out } = writes();
    for (let i = 0; i < 5; i++) out.write(Buffer.from(`data: ${i}\n\n`));
    expect(text(res)).toEqual(['data: 0\n\n']);
    await Promise.resolve();
    expect(text(res)).toEqual(['data: 0\n\n', 'data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n']);
    // The next turn's first piece goes at once again.
    out.write(Buffer.from('data: 5\n\n'));
    expect(text(res)).toHaveLength(3);
    await turnEnd();
    expect(text(res)).toHaveLength(3);
  });

  it('writes pieces back to back in one buffer as a view of it, copying nothing', async () => {
    const { res, out } = writes();
    const chunk = Buffer.from('data: a\n\ndata: b\n\ndata: c\n\n');
    for (const piece of [chunk.subarray(0, 9), chunk.subarray(9, 18), chunk.subarray(18)]) out.write(piece);
    await turnEnd();
    expect(text(res)).toEqual(['data: a\n\n', 'data: b\n\ndata: c\n\n']);
    for (const given of res.given) expect((given as Buffer).buffer).toBe(chunk.buffer);
  });

  it('writes a large piece at once, after what was queued, and never copies it', () => {
    const { res, out } = writes();
    const big = Buffer.alloc(COALESCE_MAX_BYTES + 1, 0x61);
    out.write(Buffer.from('first '));
    out.write(big);
    expect(text(res)[0]).toBe('first ');
    expect(res.given[1]).toBe(big);
  });

  it('joins only the small runs between large ones: an event carried over, then a large chunk of events', async () => {
    const { res, out } = writes();
    const carried = Buffer.from('data: carried\n\n');
    const chunk = Buffer.alloc(3 * COALESCE_MAX_BYTES, 0x62);
    // The framer's shape: the carried event, then the chunk's events as views of it.
    for (const piece of [
      carried,
      chunk.subarray(0, COALESCE_MAX_BYTES),
      chunk.subarray(COALESCE_MAX_BYTES, 2 * COALESCE_MAX_BYTES),
      Buffer.from('x'),
      Buffer.from('y'),
    ])
      out.write(piece);
    await turnEnd();
    expect(res.given).toHaveLength(3);
    expect(res.given[0]).toBe(carried);
    expect((res.given[1] as Buffer).buffer).toBe(chunk.buffer);
    expect(res.given[1]!.length).toBe(2 * COALESCE_MAX_BYTES);
    expect(res.given[2]!.toString()).toBe('xy');
  });

  it('flush writes at once; a flush with nothing queued writes nothing', () => {
    const { res, out } = writes();
    out.flush();
    out.write(Buffer.from('a'));
    out.flush();
    expect(text(res)).toEqual(['a']);
  });

  it('writes nothing to a client that has gone', async () => {
    const { res, out } = writes({ gone: () => true });
    out.write(Buffer.from('a'));
    out.write(Buffer.alloc(COALESCE_MAX_BYTES + 1));
    await turnEnd();
    expect(res.given).toEqual([]);
  });

  it('writes nothing queued to a response already ended or destroyed within the turn', async () => {
    for (const close of ['end', 'destroy'] as const) {
      const { res, out } = writes();
      out.write(Buffer.from('a'));
      out.write(Buffer.from('b'));
      if (close === 'end') res.end('capped: internal proxy error');
      else res.destroy();
      await turnEnd();
      expect(
        text(res).filter((t) => t !== 'capped: internal proxy error'),
        close,
      ).toEqual(['a']);
    }
  });

  it('pauses the upstream while the client is behind, and resumes it on drain unless a tool call is held', async () => {
    let held = false;
    const { res, upstream, out } = writes({ held: () => held });
    res.write = (data: Buffer | string): boolean => (res.given.push(data), false);
    out.write(Buffer.from('a'));
    await turnEnd();
    expect(upstream.paused).toBe(true);
    res.emit('drain');
    expect(upstream.paused).toBe(false);
    held = true;
    out.write(Buffer.from('b'));
    await turnEnd();
    res.emit('drain');
    expect(upstream.paused).toBe(true);
  });
});
