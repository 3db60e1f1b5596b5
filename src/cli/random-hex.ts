import fs from 'node:fs';
import { lazyRequire } from '../lazy-require.js';

const crypto = lazyRequire<typeof import('node:crypto')>('node:crypto');

/**
 * `bytes` random bytes as hex, from the kernel's random source. Read from /dev/urandom because a
 * run's start needs only its id and the proxy's secret, and loading node:crypto for them cost
 * about 3 ms of every start (issue 11). Where the device cannot be read, node:crypto gives them.
 */
export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  try {
    const fd = fs.openSync('/dev/urandom', 'r');
    try {
      if (fs.readSync(fd, buf, 0, bytes, null) === bytes) return buf.toString('hex');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // No readable /dev/urandom here: the fallback below.
  }
  return crypto().randomBytes(bytes).toString('hex');
}
