import { createPinia, setActivePinia } from 'pinia'
import { createAdminApi } from '../admin/api.ts'
import { setAdminApi } from '../admin/services.ts'
import { useAdminSession } from '../admin/stores/session.ts'
import type { SessionInfo } from '../admin/types.ts'
import { fakeFetch } from './fake-api.ts'

type Routes = Parameters<typeof fakeFetch>[0]

/** A session answer as the server gives it. */
export function sessionInfo(over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    staffId: 'hq-admin',
    role: 'admin',
    storeCode: null,
    totpEnrolled: true,
    csrfToken: 'csrf-1',
    ...over,
  }
}

/**
 * The console's stores over a fake server that answers only `routes` (the agreed admin API's
 * shapes, `ADMIN-API.md`): a fresh Pinia, the session store wired to the client as main.ts
 * wires it. `signedIn` opens a session first (without a request).
 */
export function fakeAdmin(routes: Routes, opts: { signedIn?: Partial<SessionInfo> | false } = {}) {
  const pinia = createPinia()
  setActivePinia(pinia)
  const server = fakeFetch(routes)
  const session = useAdminSession(pinia)
  const api = createAdminApi(
    { csrfToken: session.csrfToken, signedOut: session.signedOut },
    server.fetch,
  )
  setAdminApi(api)
  if (opts.signedIn !== false && opts.signedIn !== undefined) {
    session.info = sessionInfo(opts.signedIn)
    session.checked = true
  }
  return { ...server, pinia, session, api }
}

/** The JSON body a fake route was sent. */
export async function bodyOf(req: Request): Promise<unknown> {
  return JSON.parse(await req.clone().text())
}
