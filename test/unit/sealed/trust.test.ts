import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { proxyVariables, writeTrustFiles } from '../../../src/sealed/trust.js';

const CA = '-----BEGIN CERTIFICATE-----\nRUNCA\n-----END CERTIFICATE-----\n';
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'capped-trust-'));

describe('trust files for the run CA', () => {
  it('adds the run CA to the CAs the tools trusted before, for the variables that replace a trust store', () => {
    const dir = tmp();
    const own = path.join(dir, 'own.pem');
    fs.writeFileSync(own, '-----BEGIN CERTIFICATE-----\nCORPORATE\n-----END CERTIFICATE-----');
    const vars = writeTrustFiles(dir, CA, { SSL_CERT_FILE: own });
    const bundle = path.join(dir, 'ca-bundle.pem');
    for (const name of ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO']) expect(vars[name]).toBe(bundle);
    expect(fs.readFileSync(bundle, 'utf8')).toBe('-----BEGIN CERTIFICATE-----\nCORPORATE\n-----END CERTIFICATE-----\n' + CA);
    expect(fs.statSync(bundle).mode & 0o777).toBe(0o600);
  });

  it('uses the system bundle (or Node’s list) when the user named none', () => {
    const dir = tmp();
    writeTrustFiles(dir, CA, {});
    const bundle = fs.readFileSync(path.join(dir, 'ca-bundle.pem'), 'utf8');
    expect(bundle.match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(50);
    expect(bundle.endsWith(CA)).toBe(true);
  });

  it('keeps the user’s NODE_EXTRA_CA_CERTS next to the run CA for Node', () => {
    const dir = tmp();
    const extra = path.join(dir, 'extra.pem');
    fs.writeFileSync(extra, 'EXTRA\n');
    const vars = writeTrustFiles(dir, CA, { NODE_EXTRA_CA_CERTS: extra });
    expect(fs.readFileSync(vars.NODE_EXTRA_CA_CERTS!, 'utf8')).toBe('EXTRA\n' + CA);
    expect(fs.readFileSync(writeTrustFiles(tmp(), CA, {}).NODE_EXTRA_CA_CERTS!, 'utf8')).toBe(CA);
  });
});

describe('proxy variables', () => {
  it('send every protocol, in both spellings, to the bridge, and only loopback around it', () => {
    const vars = proxyVariables(4321);
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy']) expect(vars[name]).toBe('http://127.0.0.1:4321');
    expect(vars.NO_PROXY).toBe('127.0.0.1,localhost,::1');
    expect(vars.no_proxy).toBe('127.0.0.1,localhost,::1');
  });
});
