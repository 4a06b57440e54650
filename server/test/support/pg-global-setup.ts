import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { migratePostgres } from '../../src/db/postgres.ts'
import { findPgBinDir, type PgCluster, startPgCluster } from './pg-cluster.ts'
import type { PgClusterStatus } from './pg-database.ts'

/** The migrated database every test database is copied from. */
export const PG_TEMPLATE = 'membercard_template'

/** A cluster with the migrated template, which nobody may connect to (cloning needs that). */
async function startTemplateCluster(): Promise<PgCluster> {
  const cluster = await startPgCluster({ fsync: false })
  try {
    await migratePostgres(await cluster.createDatabase(PG_TEMPLATE))
    const admin = new pg.Client({ connectionString: cluster.adminUrl })
    await admin.connect()
    try {
      await admin.query(
        `ALTER DATABASE "${PG_TEMPLATE}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
      )
    } finally {
      await admin.end()
    }
    return cluster
  } catch (err) {
    await cluster.stop()
    throw err
  }
}

/**
 * Vitest global setup of the server project: ONE throwaway PostgreSQL cluster per run, with a
 * migrated template database that test files copy with `freshPgDatabase()` (./pg-database.ts).
 *
 * Missing binaries fail the run at once, naming the package to install. The cluster then starts
 * in the background while the test files load (a run with no PostgreSQL test does not wait for
 * it); its address, or the reason it failed, goes to a status file the tests wait for. At the
 * end of the run, failed or not, the cluster is stopped and its folder removed; a cluster that
 * could not start fails the run there too.
 */
export default function setup(project: TestProject): () => Promise<void> {
  findPgBinDir()
  const statusDir = mkdtempSync(join(tmpdir(), 'membercard-pg-status-'))
  const statusFile = join(statusDir, 'status.json')
  const removeStatus = () => rmSync(statusDir, { recursive: true, force: true })
  process.on('exit', removeStatus)
  const report = (status: PgClusterStatus) => {
    writeFileSync(`${statusFile}.tmp`, JSON.stringify(status))
    renameSync(`${statusFile}.tmp`, statusFile)
  }
  const started = startTemplateCluster().then(
    (cluster) => {
      report({ adminUrl: cluster.adminUrl, template: PG_TEMPLATE })
      return cluster
    },
    (err: unknown) => {
      report({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
      throw err
    },
  )
  // Reported to the tests waiting for the cluster, and by the teardown.
  started.catch(() => undefined)
  project.provide('pgStatusFile', statusFile)
  return async () => {
    try {
      await (await started).stop()
    } finally {
      process.off('exit', removeStatus)
      removeStatus()
    }
  }
}
