import { ref } from 'vue'
import { services } from './services.ts'

/**
 * The linking bonus this LINE user can still get (the server's `GET /api/link/bonus`): the
 * consent and issue screens promise it only then. 0 while not known, when none is configured,
 * or when the user has had it (an unlink and a relink bring no second one).
 */
export const linkBonusPoints = ref(0)

let answered: Promise<void> = Promise.resolve()

/** Asks the server, each time a guest's screen opens (an unlink may have spent it since). */
export function askLinkBonus(): void {
  linkBonusPoints.value = 0
  answered = services()
    .api.linkBonus()
    .then(
      (b) => {
        linkBonusPoints.value = b.eligible ? b.points : 0
      },
      () => {
        // not known (e.g. no connection): nothing is promised
      },
    )
}

/** Resolves when the last question is answered, or after `capMs` (no screen waits longer). */
export function linkBonusAnswered(capMs = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    answered,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, capMs)
    }),
  ]).finally(() => clearTimeout(timer))
}
