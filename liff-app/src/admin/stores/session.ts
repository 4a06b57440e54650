import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiFailure } from '../../lib/api.ts'
import { adminApi } from '../services.ts'
import type { RecoveryCodeStatus, SessionInfo, TotpEnrollment } from '../types.ts'

/**
 * The console's session: who is signed in (the cookie itself is `HttpOnly`, never seen here),
 * its CSRF token, and the steps of signing in (the TOTP code when the server asks for one).
 */
export const useAdminSession = defineStore('admin-session', () => {
  const info = ref<SessionInfo | null>(null)
  /** Whether the server has been asked once (the router waits for it). */
  const checked = ref(false)
  /** The server asked for the second factor: the sign-in form shows the code field. */
  const totpRequired = ref(false)
  /** The session ended under the user (idle expiry, revoked): the sign-in screen says so. */
  const expired = ref(false)
  const enrollment = ref<TotpEnrollment | null>(null)
  /** New recovery codes, shown once after an enrollment or a regeneration (decision 093). */
  const recoveryCodes = ref<string[] | null>(null)
  /** How many recovery codes are left (loaded by the security screen). */
  const codeStatus = ref<RecoveryCodeStatus | null>(null)
  /** This session was opened with a recovery code: the console suggests new ones. */
  const usedRecoveryCode = ref(false)

  const signedIn = computed(() => info.value !== null)
  const isAdmin = computed(() => info.value?.role === 'admin')
  /** An admin without a second factor is asked to enroll one. */
  const shouldEnroll = computed(() => info.value?.role === 'admin' && !info.value.totpEnrolled)

  let checking: Promise<SessionInfo | null> | null = null
  /** Asks the server once whether a session is open (again with `force`). */
  function check(force = false): Promise<SessionInfo | null> {
    if (checked.value && !force) return Promise.resolve(info.value)
    checking ??= adminApi()
      .session()
      .then((s) => {
        info.value = s
        checked.value = true
        return s
      })
      .finally(() => {
        checking = null
      })
    return checking
  }

  /**
   * Signs in, with the TOTP code or a recovery code when the server asks for one; rejects with
   * the server's failure (`TOTP_REQUIRED` also shows the code field).
   */
  async function signIn(
    staffId: string,
    password: string,
    totp?: string,
    recoveryCode?: string,
  ): Promise<void> {
    try {
      info.value = await adminApi().signIn({
        staffId,
        password,
        ...(totp ? { totp } : {}),
        ...(recoveryCode ? { recoveryCode } : {}),
      })
      checked.value = true
      expired.value = false
      totpRequired.value = false
      usedRecoveryCode.value = Boolean(recoveryCode)
    } catch (err) {
      if (err instanceof ApiFailure && err.code === 'TOTP_REQUIRED') totpRequired.value = true
      throw err
    }
  }

  /** The server no longer knows the session. */
  function signedOut(): void {
    if (info.value) expired.value = true
    info.value = null
    checked.value = true
  }

  function forget(): void {
    info.value = null
    expired.value = false
    totpRequired.value = false
    enrollment.value = null
    recoveryCodes.value = null
    codeStatus.value = null
    usedRecoveryCode.value = false
  }

  async function signOut(): Promise<void> {
    await adminApi().signOut()
    forget()
  }

  /** Ends every session of this account, on every device. */
  async function signOutEverywhere(): Promise<void> {
    await adminApi().signOutEverywhere()
    forget()
  }

  /** Starts enrolling a TOTP second factor (not active until confirmed). */
  async function startEnrollment(): Promise<TotpEnrollment> {
    enrollment.value = await adminApi().enrollTotp()
    return enrollment.value
  }

  /** Confirms the enrollment with a code from the authenticator app; keeps the recovery codes. */
  async function confirmEnrollment(code: string): Promise<void> {
    const made = await adminApi().confirmTotp(code)
    enrollment.value = null
    recoveryCodes.value = made.recoveryCodes
    codeStatus.value = {
      remaining: made.recoveryCodes.length,
      generatedAt: new Date().toISOString(),
    }
    if (info.value) info.value = { ...info.value, totpEnrolled: true }
  }

  /** How many recovery codes are left. */
  async function loadCodeStatus(): Promise<RecoveryCodeStatus> {
    codeStatus.value = await adminApi().recoveryCodeStatus()
    return codeStatus.value
  }

  /** New recovery codes (the current TOTP code proves it is the account's owner). */
  async function regenerateCodes(code: string): Promise<void> {
    const made = await adminApi().regenerateRecoveryCodes(code)
    recoveryCodes.value = made.recoveryCodes
    codeStatus.value = {
      remaining: made.recoveryCodes.length,
      generatedAt: new Date().toISOString(),
    }
    usedRecoveryCode.value = false
  }

  /** The user has kept the codes: they are not shown again. */
  function codesKept(): void {
    recoveryCodes.value = null
  }

  return {
    info,
    checked,
    totpRequired,
    expired,
    enrollment,
    recoveryCodes,
    codeStatus,
    usedRecoveryCode,
    signedIn,
    isAdmin,
    shouldEnroll,
    csrfToken: () => info.value?.csrfToken ?? null,
    check,
    signIn,
    signedOut,
    signOut,
    signOutEverywhere,
    startEnrollment,
    confirmEnrollment,
    loadCodeStatus,
    regenerateCodes,
    codesKept,
  }
})
