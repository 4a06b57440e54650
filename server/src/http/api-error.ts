import { ERROR_STATUS, type ErrorCode } from '@membercard/shared'

/** An error answered with the contract's shape and the code's status. */
export class ApiError extends Error {
  readonly status: (typeof ERROR_STATUS)[ErrorCode]
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.status = ERROR_STATUS[code]
  }
}

/** The JSON body of an error answer. */
export function errorBody(code: ErrorCode, message: string) {
  return { error: { code, message } }
}
