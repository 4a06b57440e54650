import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { inject } from 'vitest'
import { createDatabase, dropDatabase } from './pg-cluster.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where ./pg-global-setup.ts writes the run's cluster status (a `PgClusterStatus`). */
    pgStatusFile: string
  }
}

/** The run's throwaway cluster, or why it could not start. */
export type PgClusterStatus = { adminUrl: string; template: string } | { error: string }

/** How long a test waits for the run's cluster to be up (it starts as the run begins). */
const CLUSTER_WAIT_MS = 120_000

let ready: Promise<{ adminUrl: string; template: string }> | undefined

/**
 * The run's cluster: its superuser URL and the migrated template database. Waits until the
 * global setup has it up; throws the setup's error if it could not start.
 */
export function pgCluster(): Promise<{ adminUrl: string; template: string }> {
  ready ??= (async () => {
    const file = inject('pgStatusFile')
    const deadline = Date.now() + CLUSTER_WAIT_MS
    for (;;) {
      let status: PgClusterStatus | undefined
      try {
        status = JSON.parse(readFileSync(file, 'utf8')) as PgClusterStatus
      } catch {
        // Not written yet (the setup writes it whole, by a rename).
      }
      if (status && 'error' in status) {
        throw new Error(`the test PostgreSQL did not start: ${status.error}`)
      }
      if (status) return status
      if (Date.now() > deadline) {
        throw new Error(`the test PostgreSQL was not up after ${CLUSTER_WAIT_MS} ms`)
      }
      await sleep(50)
    }
  })()
  return ready
}

export interface FreshPgDatabase {
  name: string
  /** `postgres://…` URL of the database. */
  url: string
  /** Drops the database (closing any connection still open to it). */
  drop(): Promise<void>
}

/**
 * A new database, a copy of the run's migrated template (every table, no rows), on the run's
 * throwaway cluster. Drop it when done (`afterAll(() => db.drop())`); the cluster and whatever
 * is left on it go at the end of the run anyway.
 */
export async function freshPgDatabase(): Promise<FreshPgDatabase> {
  const { adminUrl, template } = await pgCluster()
  const name = `t_${randomBytes(8).toString('hex')}`
  const url = await createDatabase(adminUrl, name, { template })
  return { name, url, drop: () => dropDatabase(adminUrl, name) }
}

/** The superuser URL of the run's cluster, for tests that make their own databases. */
export async function pgAdminUrl(): Promise<string> {
  return (await pgCluster()).adminUrl
}
