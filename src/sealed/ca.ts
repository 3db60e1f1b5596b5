// tsyringe (used by @peculiar/x509) needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3_600_000;

/** A leaf certificate and its key, both PEM, for one host; kept in memory only. */
export interface Leaf {
  certPem: string;
  keyPem: string;
}

/**
 * A certificate authority that lives for one run. Its private key is generated non-extractable
 * inside webcrypto: it is never exported, so it cannot end up on disk. Only the certificate is
 * written (for the agent's trust stores), and that is deleted at exit.
 */
export interface RunCa {
  certPem: string;
  /** A leaf for `host`, signed by the run CA (made once per host, then reused). */
  leafFor(host: string): Promise<Leaf>;
}

function serial(): string {
  // Positive (top bit clear) and unique: clients reject a reused issuer+serial pair.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Creates the run's CA: valid from an hour ago (clock skew) for `days` days. */
export async function createRunCa(name: string, now: Date = new Date(), days = 7): Promise<RunCa> {
  const caKeys = await webcrypto.subtle.generateKey(ALG, false, ['sign', 'verify']);
  const notBefore = new Date(now.getTime() - HOUR);
  const notAfter = new Date(now.getTime() + days * 24 * HOUR);
  const subject = `CN=${name}, O=capped`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leaves = new Map<string, Promise<Leaf>>();

  const makeLeaf = async (host: string): Promise<Leaf> => {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${host}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: /^[\d.]+$|:/.test(host) ? 'ip' : 'dns', value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return { certPem: cert.toString('pem') + '\n', keyPem: pem('PRIVATE KEY', pkcs8) };
  };

  return {
    certPem: ca.toString('pem') + '\n',
    leafFor(host) {
      const key = host.toLowerCase();
      let leaf = leaves.get(key);
      if (!leaf) {
        leaf = makeLeaf(key);
        leaves.set(key, leaf);
      }
      return leaf;
    },
  };
}
