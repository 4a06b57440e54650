import { ref } from 'vue'
import { type StaffMe, staffToken, tillApi } from './api.ts'

const me = ref<StaffMe | null>(null)
let loading: Promise<StaffMe | null> | null = null

/** The signed-in staff member, shared by the till's screens. */
export function useStaffSession() {
  /** Loads who is signed in (once); null when the token is missing or refused. */
  function load(): Promise<StaffMe | null> {
    if (me.value) return Promise.resolve(me.value)
    if (!staffToken.get()) return Promise.resolve(null)
    loading ??= tillApi
      .me()
      .then((m) => {
        me.value = m
        return m
      })
      .catch(() => null)
      .finally(() => {
        loading = null
      })
    return loading
  }

  async function signIn(staffId: string, password: string): Promise<void> {
    me.value = null
    await tillApi.login(staffId, password)
    await load()
  }

  async function signOut(): Promise<void> {
    try {
      await tillApi.logout()
    } catch {
      // the token is dropped either way
    } finally {
      me.value = null
    }
  }

  /** Forgets the session without calling the server (the server already refused it). */
  function forget(): void {
    staffToken.clear()
    me.value = null
  }

  return { me, load, signIn, signOut, forget }
}
