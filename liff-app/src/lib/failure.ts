import type { ErrorCode } from '@membercard/shared/errors'

/** What every API client reads of a failed answer before it names the failure. */
export interface FailedAnswer {
  /** The parsed body, or null when it was not JSON. */
  body: unknown
  /**
   * The code of an error answer (`{"error": {"code", "message"}}`), if the body is one. The
   * server only sends codes of the shared list (its types say so), so the card needs no copy of
   * that list to read one: it stays out of the card's first JavaScript (decision 019).
   */
  code: ErrorCode | undefined
  /** The error's message, or ''. */
  message: string
  /** From `Retry-After`, when the server sent one. */
  retryAfterSeconds: number | null
}

export async function readFailure(res: Response): Promise<FailedAnswer> {
  const body: unknown = await res.json().catch(() => null)
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error
  const code = error?.code
  const retry = Number(res.headers.get('Retry-After'))
  return {
    body,
    code: typeof code === 'string' && /^[A-Z_]+$/.test(code) ? (code as ErrorCode) : undefined,
    message: typeof error?.message === 'string' ? error.message : '',
    retryAfterSeconds: Number.isFinite(retry) && retry > 0 ? retry : null,
  }
}
