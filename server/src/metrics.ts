import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'

/** What the data layer reports at each scrape (see `setCollector`). */
export interface CollectedStats {
  /** Outbox rows neither sent nor given up on, and the age of the oldest of them. */
  outbox?: { backlog: number; oldestAgeSeconds: number }
  /** The database connection pool (SQLite: one connection, never waited for). */
  pool?: { total: number; idle: number; waiting: number }
}

/** Runs at every scrape of `GET /metrics`, before the metrics are written. */
export type StatsCollector = () => CollectedStats | Promise<CollectedStats>

/** The process's Prometheus metrics, served by `GET /metrics` (routes/metrics.ts). */
export interface Metrics {
  /** Content-Type of `render()`'s text. */
  readonly contentType: string
  /** One finished HTTP request; `route` is the matched route pattern, never the raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void
  /** One ledger entry written, by its type (`award`, `redeem`, `bonus`, ...). */
  ledgerWrite(type: string): void
  /** One failed LINE API call, by HTTP status (0: no answer). */
  lineApiError(status: number): void
  /** Sets the function that reads the outbox and pool figures at each scrape. */
  setCollector(collector: StatsCollector | undefined): void
  /** Adds Node's process metrics (CPU, memory, event loop, GC); once per process. */
  enableDefaultMetrics(): void
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>
}

/** Upper bounds of the request-duration buckets, in seconds: most answers take a few ms. */
const DURATION_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The requests of one method, route pattern and status. */
interface RequestSeries {
  method: string
  status: number
  /** Requests per bucket (not cumulative); the last one is above every bound. */
  buckets: Float64Array
  sum: number
  count: number
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/**
 * The request metrics, kept outside prom-client: its `Histogram.observe` hashes the label
 * object into a string key and looks every bucket up by its bound converted to a string, about
 * 1.3 µs a request on the bench machine, where a returning customer's `GET /api/me` takes ~64 µs
 * of CPU in all. Here a request costs a map lookup by the route pattern (the same string every
 * time), a scan of that route's few method/status pairs and a bucket increment; the counts are
 * written out in Prometheus text at scrape time (docs/decisions/021).
 */
function createRequestRecorder() {
  const byRoute = new Map<string, RequestSeries[]>()
  return {
    observe(method: string, route: string, status: number, seconds: number): void {
      let list = byRoute.get(route)
      if (list === undefined) {
        list = []
        byRoute.set(route, list)
      }
      let series: RequestSeries | undefined
      for (let i = 0; i < list.length; i++) {
        const candidate = list[i] as RequestSeries
        if (candidate.status === status && candidate.method === method) {
          series = candidate
          break
        }
      }
      if (series === undefined) {
        series = {
          method,
          status,
          buckets: new Float64Array(DURATION_BOUNDS.length + 1),
          sum: 0,
          count: 0,
        }
        list.push(series)
      }
      let b = 0
      while (b < DURATION_BOUNDS.length && seconds > (DURATION_BOUNDS[b] as number)) b++
      series.buckets[b] = (series.buckets[b] as number) + 1
      series.sum += seconds
      series.count++
    },
    /** `http_requests_total` and `http_request_duration_seconds` in Prometheus text. */
    render(): string {
      const counts = [
        '# HELP http_requests_total HTTP requests answered, by method, route pattern and status.',
        '# TYPE http_requests_total counter',
      ]
      const durations = [
        '# HELP http_request_duration_seconds Time to answer an HTTP request, by method, route pattern and status.',
        '# TYPE http_request_duration_seconds histogram',
      ]
      for (const [route, list] of byRoute) {
        for (const s of list) {
          const labels = `method="${labelValue(s.method)}",route="${labelValue(route)}",status="${s.status}"`
          counts.push(`http_requests_total{${labels}} ${s.count}`)
          let cumulative = 0
          DURATION_BOUNDS.forEach((bound, i) => {
            cumulative += s.buckets[i] as number
            durations.push(
              `http_request_duration_seconds_bucket{${labels},le="${bound}"} ${cumulative}`,
            )
          })
          durations.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`)
          durations.push(`http_request_duration_seconds_sum{${labels}} ${s.sum}`)
          durations.push(`http_request_duration_seconds_count{${labels}} ${s.count}`)
        }
      }
      return `${counts.join('\n')}\n\n${durations.join('\n')}\n`
    },
  }
}

/** A fresh set of metrics on its own registry (the process uses the one `metrics`). */
export function createMetrics(): Metrics {
  const registry = new Registry()
  const registers = [registry]
  const requests = createRequestRecorder()
  const ledger = new Counter({
    name: 'ledger_writes_total',
    help: 'Points ledger entries written, by type.',
    labelNames: ['type'] as const,
    registers,
  })
  const lineErrors = new Counter({
    name: 'line_api_errors_total',
    help: 'Failed LINE Messaging API calls, by HTTP status (0: no answer).',
    labelNames: ['status'] as const,
    registers,
  })
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers })
  const outboxBacklog = gauge('outbox_backlog', 'Outbox messages not yet sent or given up on.')
  const outboxOldest = gauge(
    'outbox_oldest_age_seconds',
    'Age of the oldest outbox message not yet sent or given up on (0 when none).',
  )
  const poolTotal = gauge('db_pool_connections', 'Database connections open.')
  const poolIdle = gauge('db_pool_idle_connections', 'Database connections open and idle.')
  const poolWaiting = gauge('db_pool_waiting_clients', 'Queries waiting for a database connection.')

  let collector: StatsCollector | undefined
  let defaults = false
  return {
    contentType: registry.contentType,
    observeRequest: requests.observe,
    ledgerWrite(type) {
      ledger.inc({ type })
    },
    lineApiError(status) {
      lineErrors.inc({ status })
    },
    setCollector(next) {
      collector = next
    },
    enableDefaultMetrics() {
      if (defaults) return
      defaults = true
      collectDefaultMetrics({ register: registry })
    },
    async render() {
      if (collector) {
        const stats = await collector()
        if (stats.outbox) {
          outboxBacklog.set(stats.outbox.backlog)
          outboxOldest.set(stats.outbox.oldestAgeSeconds)
        }
        if (stats.pool) {
          poolTotal.set(stats.pool.total)
          poolIdle.set(stats.pool.idle)
          poolWaiting.set(stats.pool.waiting)
        }
      }
      return `${await registry.metrics()}\n${requests.render()}`
    },
  }
}

/**
 * The process's metrics. The data layer calls `metrics.ledgerWrite(type)` where it writes
 * ledger entries and hands `metrics.setCollector` a function that reads its outbox and pool.
 */
export const metrics: Metrics = createMetrics()
