// biome-ignore-all lint/style/noRestrictedGlobals: a test fault switch, deliberately not a setting
/**
 * TEST FAULT HOOK, for tests/resilience/crash.test.ts only; not a setting, never documented
 * for operators. When the process starts with `TEST_FAULT_KILL_AFTER_COMMIT_KEY` set, the
 * request with that Idempotency-Key kills the process (SIGKILL) once its change has committed
 * and before its answer is written: the till never hears back about a stored change. Unset,
 * `afterCommitFaultHook` does nothing.
 */
const killAfterCommitKey = process.env.TEST_FAULT_KILL_AFTER_COMMIT_KEY || undefined

/** Called with the request's Idempotency-Key after its change committed, before the answer. */
export function afterCommitFaultHook(key: string): void {
  if (killAfterCommitKey !== undefined && key === killAfterCommitKey) {
    process.kill(process.pid, 'SIGKILL')
  }
}
