import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createRunCa } from '../../../src/sealed/ca.js';

describe('the run CA', () => {
  it('is a CA certificate for signing leaves, valid now', async () => {
    const now = new Date('2026-12-03T12:00:00Z');
    const ca = new X509Certificate((await createRunCa('capped run CA test', now)).certPem);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toContain('CN=capped run CA test');
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(new Date(ca.validFrom).getTime()).toBeLessThan(now.getTime());
    expect(new Date(ca.validTo).getTime()).toBeGreaterThan(now.getTime() + 24 * 3_600_000);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('signs a leaf for a host that TLS accepts for that host and no other', async () => {
    const run = await createRunCa('capped run CA test');
    const ca = new X509Certificate(run.certPem);
    const leaf = await run.leafFor('api.anthropic.com');
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.checkHost('api.anthropic.com')).toBe('api.anthropic.com');
    expect(cert.checkHost('api.openai.com')).toBeUndefined();
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    // The key matches the certificate: a TLS context accepts the pair.
    expect(() => tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem })).not.toThrow();
  });

  it('makes one leaf per host and reuses it, with distinct serials across hosts', async () => {
    const run = await createRunCa('capped run CA test');
    const a = await run.leafFor('api.openai.com');
    expect(await run.leafFor('API.OpenAI.com')).toBe(a);
    const b = await run.leafFor('chatgpt.com');
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
  });

  it('never exposes the CA key: each CA is new, and leaves of one do not verify under another', async () => {
    const one = await createRunCa('one');
    const two = await createRunCa('two');
    const leaf = new X509Certificate((await one.leafFor('api.anthropic.com')).certPem);
    expect(leaf.verify(new X509Certificate(two.certPem).publicKey)).toBe(false);
    expect(Object.keys(one)).toEqual(['certPem', 'leafFor']);
  });
});
