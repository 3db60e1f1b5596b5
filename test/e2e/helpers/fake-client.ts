// A minimal client for the fake upstreams' own tests: JSON posts, SSE reading, a hang-up mid-stream.

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // an SSE body: read it with sseData
  }
  return { status: res.status, json, text };
}

/** The JSON payloads of an SSE body's `data:` lines, in order (`[DONE]` left out). */
export function sseData(text: string): Record<string, unknown>[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data:') && !l.includes('[DONE]'))
    .map((l) => JSON.parse(l.slice(5)) as Record<string, unknown>);
}

/** Posts a streaming request and hangs up as soon as `marker` has arrived. */
export async function hangUpAfter(url: string, body: unknown, marker: string): Promise<void> {
  const controller = new AbortController();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: controller.signal });
  const reader = res.body!.getReader();
  let seen = '';
  for (;;) {
    const { value, done } = (await reader.read()) as { value?: Uint8Array; done: boolean };
    if (done || !value) throw new Error(`the stream ended before ${marker} arrived`);
    seen += Buffer.from(value).toString('utf8');
    if (seen.includes(marker)) break;
  }
  controller.abort();
  await reader.cancel().catch(() => {});
}

/** Waits until `check` is true (the fake settles a cut stream when it sees the socket close). */
export async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the fake to settle');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Prose-like text of exactly `bytes` ASCII bytes. */
export const text = (bytes: number, seed = 'a'): string => `${seed} lorem ipsum dolor sit amet `.repeat(Math.ceil(bytes / 28)).slice(0, bytes);
