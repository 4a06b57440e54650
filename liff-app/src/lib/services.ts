import type { ClientConfig } from '@membercard/shared'
import type { Api } from './api.ts'
import type { LiffSession } from './liff-session.ts'

/** What the stores use: set once at start-up (or by a test). */
export interface Services {
  config: ClientConfig
  api: Api
  liff: LiffSession
}

let current: Services | null = null

/** Sets the services the stores use. */
export function setServices(services: Services | null): void {
  current = services
}

/** The services; throws when start-up has not set them (a bug, not a user error). */
export function services(): Services {
  if (!current) throw new Error('services used before start-up')
  return current
}
