import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

/** Where Linux distributions keep the system's CA bundle (Debian, RHEL, SUSE, Alpine). */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

function readable(file: string | undefined): string | null {
  if (!file) return null;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The CAs the agent's tools trusted before: the user's own SSL_CERT_FILE, else the system bundle,
 * else Node's built-in list. Variables like SSL_CERT_FILE replace a tool's trust store, so the run
 * CA is added to these, and tunnelled hosts still verify.
 */
function systemCas(env: NodeJS.ProcessEnv): string {
  for (const file of [env.SSL_CERT_FILE, ...SYSTEM_BUNDLES]) {
    const text = readable(file);
    if (text?.includes('BEGIN CERTIFICATE')) return text;
  }
  return tls.rootCertificates.join('\n');
}

/** The files of a sealed run, in a private folder of their own. */
export const RUN_FILES = { socket: 'bridge.sock', bundle: 'ca-bundle.pem', nodeExtra: 'node-extra-ca.pem' } as const;

/**
 * Deletes a sealed run's files and their folder: only the files it made, so a wrong folder is
 * never emptied. Capped does it at the end of the run, the launcher when the agent is gone (in
 * case capped itself was killed, e.g. by a hang-up).
 */
export function removeRunFiles(dir: string): void {
  for (const name of Object.values(RUN_FILES)) fs.rmSync(path.join(dir, name), { force: true });
  try {
    fs.rmdirSync(dir);
  } catch {
    // Already gone, or not ours to remove (it holds other files).
  }
}

const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

/**
 * Writes the run CA's certificate files into `dir` (private to the run, removed at exit) and
 * returns the variables that make Node, Python, Go, curl and git trust it.
 */
export function writeTrustFiles(dir: string, caPem: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const bundle = path.join(dir, RUN_FILES.bundle);
  fs.writeFileSync(bundle, withNewline(systemCas(env)) + caPem, { mode: 0o600 });
  // Node adds NODE_EXTRA_CA_CERTS to its own list: keep the user's extra CAs with the run CA.
  const extra = path.join(dir, RUN_FILES.nodeExtra);
  const own = readable(env.NODE_EXTRA_CA_CERTS);
  fs.writeFileSync(extra, (own ? withNewline(own) : '') + caPem, { mode: 0o600 });
  return {
    NODE_EXTRA_CA_CERTS: extra,
    SSL_CERT_FILE: bundle,
    REQUESTS_CA_BUNDLE: bundle,
    CURL_CA_BUNDLE: bundle,
    GIT_SSL_CAINFO: bundle,
  };
}

/** Proxy variables for a sealed agent: every client that honours them goes through capped. */
export function proxyVariables(port: number): Record<string, string> {
  const proxy = `http://127.0.0.1:${port}`;
  const vars: Record<string, string> = {};
  for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY']) {
    vars[name] = proxy;
    vars[name.toLowerCase()] = proxy;
  }
  // The proxy's own base URLs are on the namespace's loopback; any other host has to go via capped.
  vars.NO_PROXY = vars.no_proxy = '127.0.0.1,localhost,::1';
  // Node 24+ honours the proxy variables in fetch and https with this set; older Node ignores it.
  vars.NODE_USE_ENV_PROXY = '1';
  return vars;
}
