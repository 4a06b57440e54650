import { HTTPFetchError, insight, messagingApi } from '@line/bot-sdk'
import type { Config } from '../config.ts'
import { metrics } from '../metrics.ts'

/**
 * The Messaging API through the official `@line/bot-sdk`, configured from the settings.
 * The clients are built lazily and rebuilt when the base changes, because in demo mode the
 * stand-in's base is known only once the server has bound its port.
 */
export interface MessagingClient {
  /** False when no channel access token is configured: calls are skipped (and logged). */
  readonly enabled: boolean
  /** The JSON API client (`LINE_API_BASE`). */
  api(): messagingApi.MessagingApiClient
  /** The data API client for rich menu images (`LINE_API_DATA_BASE`). */
  blob(): messagingApi.MessagingApiBlobClient
  /** The insight client (unit statistics of campaigns), on `LINE_API_BASE`. */
  insight(): insight.InsightClient
}

/** Builds the Messaging API client from `config.line`. */
export function createMessagingClient(config: Config): MessagingClient {
  let api: { base: string; client: messagingApi.MessagingApiClient } | undefined
  let blob: { base: string; client: messagingApi.MessagingApiBlobClient } | undefined
  let stats: { base: string; client: insight.InsightClient } | undefined
  const token = () => config.line.messagingAccessToken ?? ''
  return {
    get enabled() {
      return Boolean(config.line.messagingAccessToken)
    },
    api() {
      const base = sdkBase(config.line.apiBase)
      if (api?.base !== base) {
        api = {
          base,
          client: countingErrors(
            new messagingApi.MessagingApiClient({
              channelAccessToken: token(),
              baseURL: base,
            }),
          ),
        }
      }
      return api.client
    },
    blob() {
      const base = sdkBase(config.line.apiDataBase)
      if (blob?.base !== base) {
        blob = {
          base,
          client: countingErrors(
            new messagingApi.MessagingApiBlobClient({
              channelAccessToken: token(),
              baseURL: base,
            }),
          ),
        }
      }
      return blob.client
    },
    insight() {
      const base = sdkBase(config.line.apiBase)
      if (stats?.base !== base) {
        stats = {
          base,
          client: countingErrors(
            new insight.InsightClient({ channelAccessToken: token(), baseURL: base }),
          ),
        }
      }
      return stats.client
    },
  }
}

/**
 * `client` whose every failed call counts in `line_api_errors_total` (by HTTP status; 0 when
 * LINE did not answer), wherever it is called from (outbox worker, rich menu commands).
 */
function countingErrors<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args)
        if (!(result instanceof Promise)) return result
        return result.catch((err: unknown) => {
          metrics.lineApiError(err instanceof HTTPFetchError ? err.status : 0)
          throw err
        })
      }
    },
  })
}

/**
 * The SDK resolves its absolute paths (`/v2/bot/...`) against the base with `new URL`, which
 * drops any path the base has: a base with a path (the demo stand-in under `/__line`) is
 * served at the origin too (see app.ts), so hand the SDK the origin.
 */
function sdkBase(base: string): string {
  return new URL(base).origin
}

/** What went wrong with a call, for retries and logs (never the request body). */
export interface CallFailure {
  /** HTTP status, or 0 for a network error or timeout. */
  status: number
  /** Worth retrying later (network, 429, 5xx). */
  retryable: boolean
  message: string
}

/** Classifies an error thrown by the SDK. */
export function classifyError(err: unknown): CallFailure {
  if (err instanceof HTTPFetchError) {
    const status = err.status
    return {
      status,
      retryable: status === 429 || status >= 500,
      message: `HTTP ${status}: ${safeBody(err.body)}`,
    }
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  return { status: 0, retryable: true, message: message.slice(0, 200) }
}

function safeBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown }
    if (typeof parsed.message === 'string') return parsed.message.slice(0, 200)
  } catch {
    // not JSON
  }
  return body.slice(0, 200)
}
