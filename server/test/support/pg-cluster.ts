import { execFile, spawnSync } from 'node:child_process'
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temporary folder, a server on a
 * free TCP port of 127.0.0.1 (and a socket in that folder), trust authentication, removed
 * whole by `stop()` or when the process exits. Uses Debian's server binaries
 * (/usr/lib/postgresql/<version>/bin, the newest version found; `PG_BIN_DIR` overrides).
 * As root (CI, containers) the server runs as the `postgres` OS user: initdb refuses root.
 */

const run = promisify(execFile)

/** Where Debian's `postgresql` package puts each version's server binaries. */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql'

export interface PgClusterOptions {
  /** `fsync=off` and friends: fast, and losing the data on a crash is fine (unit tests only). */
  fsync?: boolean
  /** 300 unless set: every test file of a run opens its own pools. */
  maxConnections?: number
}

export interface PgCluster {
  host: string
  port: number
  /** The superuser `postgres` on the maintenance database `postgres`. */
  adminUrl: string
  /** The server's data folder (its `postmaster.pid` names the server's process). */
  dataDir: string
  /** The URL of database `name` on this cluster. */
  url(name: string): string
  /** Creates database `name` (a copy of `template` when given) and returns its URL. */
  createDatabase(name: string, opts?: { template?: string }): Promise<string>
  /** Drops database `name`, closing its connections first; nothing if it does not exist. */
  dropDatabase(name: string): Promise<void>
  /**
   * Stops the server only (a fast shutdown: open sessions are ended, the data is kept), as an
   * outage would; `startServer` brings it back.
   */
  stopServer(): Promise<void>
  /** Starts the server stopped by `stopServer` again, on the same port and socket. */
  startServer(): Promise<void>
  /** Stops the server and removes its folder. */
  stop(): Promise<void>
}

const INSTALL_HINT =
  "the PostgreSQL tests need Debian's `postgresql` package: apt-get install postgresql"

/**
 * The folder of the newest PostgreSQL server binaries under `root` (Debian's layout), or
 * `PG_BIN_DIR`; a loud error naming the package to install when there are none.
 */
export function findPgBinDir(root = DEBIAN_PG_ROOT, override = process.env.PG_BIN_DIR): string {
  if (override) {
    if (!existsSync(join(override, 'initdb'))) {
      throw new Error(`PG_BIN_DIR=${override} has no initdb: ${INSTALL_HINT}`)
    }
    return override
  }
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : []
  const newest = versions[0]
  if (newest === undefined) {
    throw new Error(`PostgreSQL server binaries not found (${root}/*/bin/initdb): ${INSTALL_HINT}`)
  }
  return join(root, newest, 'bin')
}

const isRoot = () => process.getuid?.() === 0

/** The uid and gid of the `postgres` OS user (who runs the server when tests run as root). */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' })
  const uid = id('-u')
  const gid = id('-g')
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'Running as root, the test PostgreSQL runs as the `postgres` OS user, which does not ' +
        "exist: install Debian's `postgresql` package (it creates the user)",
    )
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

/** `cmd args` as the `postgres` OS user when this process is root, else as this user. */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      srv.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

/** A database name safe to put in SQL unquoted-equivalent form (tests make them up). */
function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name: ${name}`)
  return `"${name}"`
}

/** The URL of database `name` next to the database of `adminUrl`. */
export function databaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  return u.toString()
}

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl })
  client.on('error', () => {
    // A lost connection fails the query in flight; nothing else waits on this client.
  })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** CREATE DATABASE `name` (TEMPLATE `template`) on the cluster of `adminUrl`; its URL. */
export async function createDatabase(
  adminUrl: string,
  name: string,
  opts: { template?: string } = {},
): Promise<string> {
  const template = opts.template === undefined ? '' : ` TEMPLATE ${identifier(opts.template)}`
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${identifier(name)}${template}`))
  return databaseUrl(adminUrl, name)
}

/** DROP DATABASE IF EXISTS `name` WITH (FORCE) on the cluster of `adminUrl`. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, (c) =>
    c.query(`DROP DATABASE IF EXISTS ${identifier(name)} WITH (FORCE)`),
  )
}

/** Starts a throwaway cluster (see the top of this file). */
export async function startPgCluster(opts: PgClusterOptions = {}): Promise<PgCluster> {
  const bin = findPgBinDir()
  const owner = isRoot() ? postgresUser() : undefined
  const dir = mkdtempSync(join(tmpdir(), 'membercard-pg-'))
  if (owner) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  const pgCtl = join(bin, 'pg_ctl')

  const stopNow = () => {
    const [cmd, args] = asServerUser(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop'])
    if (existsSync(join(data, 'postmaster.pid'))) spawnSync(cmd, args, { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  }
  // A run that ends without calling stop() (an error, process.exit) still leaves nothing.
  process.on('exit', stopNow)

  try {
    const [initCmd, initArgs] = asServerUser(join(bin, 'initdb'), [
      ...['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C'],
      ...['--no-sync', '--no-instructions'],
    ])
    await run(initCmd, initArgs)
    const fast = opts.fsync === false
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        `max_connections = ${opts.maxConnections ?? 300}`,
        'shared_buffers = 64MB',
        'max_parallel_workers_per_gather = 0',
        ...(fast ? ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off'] : []),
        '',
      ].join('\n'),
    )

    // The port is free when chosen but another process may take it before the server binds:
    // then the start fails and is tried again on another port.
    let port = 0
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      const [cmd, args] = asServerUser(pgCtl, [
        ...['-D', data, '-l', log, '-w', '-t', '60', '-o', `-p ${port}`, 'start'],
      ])
      try {
        await run(cmd, args)
        break
      } catch (err) {
        if (attempt >= 3) {
          const tail = existsSync(log) ? spawnSync('tail', ['-n', '20', log]).stdout : ''
          throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${tail}`)
        }
      }
    }

    const host = '127.0.0.1'
    const adminUrl = `postgres://postgres@${host}:${port}/postgres`
    const running = () => existsSync(join(data, 'postmaster.pid'))
    const fastStop = async () => {
      const [cmd, args] = asServerUser(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop'])
      await run(cmd, args)
    }
    let stopped: Promise<void> | undefined
    return {
      host,
      port,
      adminUrl,
      dataDir: data,
      url: (name) => databaseUrl(adminUrl, name),
      createDatabase: (name, o) => createDatabase(adminUrl, name, o),
      dropDatabase: (name) => dropDatabase(adminUrl, name),
      stopServer: async () => {
        if (stopped) throw new Error('the cluster was removed')
        await fastStop()
      },
      startServer: async () => {
        if (stopped) throw new Error('the cluster was removed')
        const [cmd, args] = asServerUser(pgCtl, [
          ...['-D', data, '-l', log, '-w', '-t', '60', '-o', `-p ${port}`, 'start'],
        ])
        try {
          await run(cmd, args)
        } catch (err) {
          const tail = existsSync(log) ? spawnSync('tail', ['-n', '20', log]).stdout : ''
          throw new Error(`PostgreSQL did not start again: ${(err as Error).message}\n${tail}`)
        }
      },
      stop: () => {
        stopped ??= (async () => {
          try {
            // After `stopServer` there is no server left to stop, only the folder to remove.
            if (running()) await fastStop()
          } finally {
            process.off('exit', stopNow)
            stopNow()
          }
        })()
        return stopped
      },
    }
  } catch (err) {
    process.off('exit', stopNow)
    stopNow()
    throw err
  }
}
