// biome-ignore-all lint/style/noRestrictedGlobals: the one module that reads the environment
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { config as loadDotenv } from 'dotenv'
import { z } from 'zod'
import { normalizeAddress } from './http/client-address.ts'
import { isLoopbackHost } from './http/loopback.ts'

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))

const url = z.url({ protocol: /^https?$/ })

/** One `TRUST_PROXY` entry: an IPv4 or IPv6 address, or a CIDR block of either. */
function parseProxyEntry(entry: string): string | undefined {
  const slash = entry.indexOf('/')
  const address = normalizeAddress(slash === -1 ? entry : entry.slice(0, slash))
  const family = isIP(address)
  if (family === 0) return undefined
  const max = family === 4 ? 32 : 128
  if (slash === -1) return `${address}/${max}`
  const prefixText = entry.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  // An IPv4-mapped IPv6 block (::ffff:10.0.0.0/104) is the IPv4 block it maps.
  const mapped = family === 4 && isIP(entry.slice(0, slash)) === 6
  const bits = mapped ? prefix - 96 : prefix
  if (bits < 0 || bits > max) return undefined
  return `${address}/${bits}`
}

const trustProxy = optionalString.transform((value, ctx) => {
  if (value === undefined) return []
  const out: string[] = []
  for (const raw of value.split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    const parsed = parseProxyEntry(entry)
    if (parsed === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry.slice(0, 60)}" is not an IP address or CIDR block (such as 10.0.0.0/8 or ::1)`,
      })
      return z.NEVER
    }
    out.push(parsed)
  }
  return out
})

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('./data/membercard.db'),
  /** Unset → demo mode; set but blank is a mistake (an .env template), not a wish for demo. */
  LINE_LOGIN_CHANNEL_ID: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined
      if (v.trim() === '') {
        ctx.addIssue({
          code: 'custom',
          message:
            'is set but empty: set it to your LINE Login channel ID, or remove it (from the environment and .env) for demo mode',
        })
        return z.NEVER
      }
      return v.trim()
    })
    .pipe(z.string().regex(/^\d+$/, 'must be the numeric channel ID').optional()),
  /**
   * Demo mode signs ID tokens for any LINE user: it listens on loopback only unless this is
   * `true` (docs/decisions/030).
   */
  DEMO_ALLOW_NETWORK: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  LINE_LOGIN_CHANNEL_SECRET: optionalString,
  LIFF_ID: optionalString,
  LINE_API_BASE: url.default('https://api.line.me'),
  LINE_API_DATA_BASE: url.default('https://api-data.line.me'),
  LINE_ISSUER: z.string().min(1).default('https://access.line.me'),
  LINE_MESSAGING_CHANNEL_SECRET: optionalString,
  LINE_MESSAGING_ACCESS_TOKEN: optionalString,
  LINK_BONUS_POINTS: z.coerce.number().int().min(0).max(1_000_000).default(200),
  CARD_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
  /** Hex key (≥ 32 bytes) for the PIN hashes; generated into the secrets file when unset. */
  PIN_HASH_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64,}$/)
      .optional(),
  ),
  /** Hex key (≥ 32 bytes) for the QR tokens; generated into the secrets file when unset. */
  QR_TOKEN_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64,}$/)
      .optional(),
  ),
  /** Where generated secrets are kept: outside the database, beside it by default. */
  SECRETS_PATH: optionalString,
  CONSENT_VERSION: z.string().min(1).default('2026-11-01'),
  STORE_NAME: z.string().min(1).default('デモストア'),
  PRIVACY_POLICY_URL: z.string().min(1).default('/privacy'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Points per yen of purchase, as a decimal (0.01 = 1 point per 100 yen). See docs/points-rules.md. */
  POINTS_RATE: z
    .string()
    .regex(/^\d{1,6}(\.\d{1,6})?$/, 'must be a decimal such as 0.01')
    .default('0.01'),
  /** Per-rank multipliers, `rank:decimal` separated by commas. */
  POINTS_RANK_MULTIPLIERS: z
    .string()
    .regex(
      /^\s*[a-z][a-z0-9_-]{0,31}\s*:\s*\d{1,3}(\.\d{1,4})?\s*(,\s*[a-z][a-z0-9_-]{0,31}\s*:\s*\d{1,3}(\.\d{1,4})?\s*)*$/,
      'must look like regular:1,silver:1.5,gold:2',
    )
    .default('regular:1,silver:1.5,gold:2'),
  /**
   * Points a member must earn within 365 days for each rank above the first, `rank:points`
   * separated by commas (the card shows the progress; docs/points-rules.md). Empty: none shown.
   */
  POINTS_RANK_THRESHOLDS: z
    .string()
    .regex(
      /^(\s*[a-z][a-z0-9_-]{0,31}\s*:\s*\d{1,9}\s*(,\s*[a-z][a-z0-9_-]{0,31}\s*:\s*\d{1,9}\s*)*)?$/,
      'must look like silver:500,gold:2000',
    )
    .default('silver:500,gold:2000'),
  /** Days after a member's last activity when the balance expires; 0 turns expiry off. */
  POINTS_EXPIRY_DAYS: z.coerce.number().int().min(0).max(36500).default(365),
  /** How often the server runs the expiry job, in minutes; 0 turns the scheduled job off. */
  POINTS_EXPIRY_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(10080).default(60),
  /** How long after a till transaction a manager may still void it, in minutes. */
  POINTS_VOID_WINDOW_MINUTES: z.coerce.number().int().min(0).max(525600).default(1440),
  /** How long Idempotency-Key records are kept, in hours (at least 24). */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(24).max(8760).default(48),
  /** The time zone that decides what "today" means on the till. */
  TILL_TIME_ZONE: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz })
        return true
      } catch {
        return false
      }
    }, 'must be an IANA time zone such as Asia/Tokyo')
    .default('Asia/Tokyo'),
})

/** Settings of several instances sharing one database behind reverse proxies. */
const deploymentSchema = z.object({
  /** PostgreSQL instead of the SQLite file; requires PIN_HASH_SECRET and QR_TOKEN_SECRET. */
  DATABASE_URL: optionalString.pipe(
    z
      .url({
        protocol: /^postgres(ql)?$/,
        error: 'must be a postgres:// or postgresql:// URL',
      })
      .optional(),
  ),
  /** Reverse proxies whose X-Forwarded-For is believed: comma-separated IPs or CIDRs. */
  TRUST_PROXY: trustProxy,
  /** The public origin; defaults to http://<HOST>:<PORT>. */
  PUBLIC_URL: optionalString.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .refine((u) => {
        // An unparsable value is reported by the URL check above.
        const parsed = URL.canParse(u) ? new URL(u) : undefined
        return !parsed || (parsed.pathname === '/' && parsed.search === '' && parsed.hash === '')
      }, 'must be an origin such as https://members.example.jp (no path, query or fragment)')
      .optional(),
  ),
  LINE_AUTHORIZE_URL: url.default('https://access.line.me/oauth2/v2.1/authorize'),
  LINE_BOT_PROMPT: z.enum(['normal', 'aggressive', 'none']).default('aggressive'),
  LINE_OA_BASIC_ID: optionalString.pipe(
    z
      .string()
      .regex(/^@[0-9A-Za-z]{1,40}$/, 'must be @ followed by letters and digits, such as @123abcde')
      .optional(),
  ),
  /** Requests per second one POS API key may make (docs/decisions/089). */
  API_KEY_RATE_PER_SECOND: z.coerce.number().int().min(1).max(100000).default(20),
  /**
   * `true` lets outbound webhooks go to private, loopback and link-local addresses (tests, a
   * receiver on the same network); otherwise they are refused (docs/decisions/090).
   */
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  /** How long one webhook delivery may take before it counts as failed, in seconds. */
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(120).default(10),
  /** Bearer token of GET /metrics; unset → the route answers 404. */
  METRICS_TOKEN: optionalString.pipe(
    z
      .string()
      .regex(/^\S{16,}$/, 'must be at least 16 characters without spaces')
      .optional(),
  ),
})

/** Every setting, with the checks that span several variables. */
const settingsSchema = envSchema.extend(deploymentSchema.shape).superRefine((e, ctx) => {
  // Demo mode lets anyone who reaches it act as any member (the stand-in signs ID tokens for
  // any user ID on request): never reachable from the network by accident.
  if (e.LINE_LOGIN_CHANNEL_ID === undefined && !e.DEMO_ALLOW_NETWORK) {
    const why =
      'demo mode (no LINE_LOGIN_CHANNEL_ID) lets anyone who reaches it sign in as any LINE user, so it serves loopback only'
    if (!isLoopbackHost(e.HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['HOST'],
        message: `is ${e.HOST}, but ${why}: use HOST=127.0.0.1, set LINE_LOGIN_CHANNEL_ID, or set DEMO_ALLOW_NETWORK=true to expose the demo knowingly`,
      })
    }
    // (An unparsable PUBLIC_URL is reported by its own check.)
    const publicHost =
      e.PUBLIC_URL !== undefined && URL.canParse(e.PUBLIC_URL)
        ? new URL(e.PUBLIC_URL).hostname
        : undefined
    if (publicHost !== undefined && !isLoopbackHost(publicHost)) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_URL'],
        message: `is ${e.PUBLIC_URL}, but ${why}: remove PUBLIC_URL, set LINE_LOGIN_CHANNEL_ID, or set DEMO_ALLOW_NETWORK=true to expose the demo knowingly`,
      })
    }
  }
  // Several instances share one PostgreSQL database: keys generated per instance would make a
  // QR token or PIN hash of one instance fail on another.
  if (e.DATABASE_URL === undefined) return
  for (const name of ['PIN_HASH_SECRET', 'QR_TOKEN_SECRET'] as const) {
    if (e[name] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'is required when DATABASE_URL is set (every instance must use the same key)',
      })
    }
  }
})

/** The validated settings the server runs with. */
export interface Config {
  port: number
  host: string
  databasePath: string
  /** PostgreSQL connection URL; undefined → the SQLite file at `databasePath`. */
  databaseUrl: string | undefined
  /** Reverse proxies whose `X-Forwarded-For` is believed, as CIDR blocks (`10.0.0.0/8`). */
  trustProxy: readonly string[]
  /** The public origin, without a trailing slash (`https://members.example.jp`). */
  publicUrl: string
  /** Bearer token of `GET /metrics`; undefined → the route answers 404. */
  metricsToken: string | undefined
  secretsPath: string
  /** True when no LINE Login channel is configured: the local stand-in plays LINE. */
  demo: boolean
  /** `DEMO_ALLOW_NETWORK=true`: demo mode may listen beyond loopback (decision 030). */
  demoAllowNetwork: boolean
  line: {
    loginChannelId: string
    loginChannelSecret: string | undefined
    liffId: string | undefined
    apiBase: string
    apiDataBase: string
    issuer: string
    messagingChannelSecret: string | undefined
    messagingAccessToken: string | undefined
    /** LINE Login's authorization endpoint. */
    authorizeUrl: string
    /** Whether LINE Login offers to add the Official Account as a friend. */
    botPrompt: 'normal' | 'aggressive' | 'none'
    /** The Official Account's basic ID (`@123abcde`), for "add friend" links. */
    oaBasicId: string | undefined
  }
  linkBonusPoints: number
  cardTokenTtlSeconds: number
  pinHashSecret: string | undefined
  qrTokenSecret: string | undefined
  consentVersion: string
  storeName: string
  privacyPolicyUrl: string
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent'
  /** The points rules (award rate, rank multipliers, expiry, void window). */
  points: PointsRules
  /** POS API keys and outbound webhooks (docs/decisions/089, 090). */
  integration: {
    apiKeyRatePerSecond: number
    webhookAllowPrivate: boolean
    webhookTimeoutMs: number
  }
}

/** An exact decimal as a fraction: `num / den`. */
export interface Ratio {
  num: number
  den: number
}

/** The points rules, documented in docs/points-rules.md. */
export interface PointsRules {
  /** Points per yen (exact: 0.01 is 1/100). */
  rate: Ratio
  /** Multiplier per rank; a rank not listed earns 1×. */
  rankMultipliers: Record<string, Ratio>
  /** The points to earn within 365 days for each higher rank, lowest first. */
  rankThresholds: { rank: string; points: number }[]
  /** Days of inactivity after which a balance expires; 0 = never. */
  expiryDays: number
  /** Interval of the scheduled expiry job in ms; 0 = not scheduled. */
  expiryIntervalMs: number
  /** How long a manager may void a transaction, in ms. */
  voidWindowMs: number
  /** How long Idempotency-Key records are kept, in ms. */
  idempotencyRetentionMs: number
  /** The IANA time zone of "today" on the till. */
  timeZone: string
}

/** Parses a decimal string ("1.5") into an exact fraction (3/2 as 15/10). */
export function parseRatio(decimal: string): Ratio {
  const [whole = '0', frac = ''] = decimal.trim().split('.')
  const den = 10 ** frac.length
  return { num: Number(whole) * den + Number(frac || '0'), den }
}

function parseThresholds(spec: string): { rank: string; points: number }[] {
  return spec
    .split(',')
    .map((part) => part.split(':').map((s) => s.trim()))
    .filter(([rank]) => rank)
    .map(([rank = '', points = '0']) => ({ rank, points: Number(points) }))
    .sort((a, b) => a.points - b.points)
}

function parseMultipliers(spec: string): Record<string, Ratio> {
  const out: Record<string, Ratio> = {}
  for (const part of spec.split(',')) {
    const [rank = '', value = ''] = part.split(':').map((s) => s.trim())
    out[rank] = parseRatio(value)
  }
  return out
}

/** The channel ID the demo stand-in issues tokens for. */
export const DEMO_CHANNEL_ID = '1000000000'
/** The LIFF ID the app uses in demo mode. */
export const DEMO_LIFF_ID = '1000000000-demo'

/** A bad setting: the message names the variable. */
export class ConfigError extends Error {}

/**
 * Validates `env` once and returns the settings. In demo mode (no `LINE_LOGIN_CHANNEL_ID`)
 * the LINE API base points at the stand-in mounted on this server under `/__line`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = settingsSchema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
    )
    // One bad setting: one line.
    throw new ConfigError(
      lines.length === 1
        ? `Invalid setting ${lines[0]}`
        : `Invalid settings:\n${lines.map((l) => `  ${l}`).join('\n')}`,
    )
  }
  const e = parsed.data
  const demo = e.LINE_LOGIN_CHANNEL_ID === undefined
  const databasePath = e.DATABASE_PATH === ':memory:' ? ':memory:' : resolve(e.DATABASE_PATH)
  const secretsPath =
    e.SECRETS_PATH !== undefined
      ? resolve(e.SECRETS_PATH)
      : databasePath === ':memory:'
        ? ':memory:'
        : `${databasePath}.secrets.json`
  const origin = `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`
  const localBase = `${origin}/__line`
  const publicUrl = e.PUBLIC_URL !== undefined ? new URL(e.PUBLIC_URL).origin : origin
  return {
    port: e.PORT,
    host: e.HOST,
    databasePath,
    databaseUrl: e.DATABASE_URL,
    trustProxy: e.TRUST_PROXY,
    publicUrl,
    metricsToken: e.METRICS_TOKEN,
    secretsPath,
    demo,
    demoAllowNetwork: demo && e.DEMO_ALLOW_NETWORK,
    line: {
      loginChannelId: e.LINE_LOGIN_CHANNEL_ID ?? DEMO_CHANNEL_ID,
      // Demo mode: the stand-in signs web login's HS256 ID tokens with a key made per process.
      loginChannelSecret: demo
        ? (e.LINE_LOGIN_CHANNEL_SECRET ?? randomBytes(32).toString('hex'))
        : e.LINE_LOGIN_CHANNEL_SECRET,
      liffId: demo ? DEMO_LIFF_ID : e.LIFF_ID,
      apiBase: stripSlash(demo ? localBase : e.LINE_API_BASE),
      apiDataBase: stripSlash(demo ? localBase : e.LINE_API_DATA_BASE),
      issuer: e.LINE_ISSUER,
      messagingChannelSecret: demo
        ? (e.LINE_MESSAGING_CHANNEL_SECRET ?? 'demo-channel-secret')
        : e.LINE_MESSAGING_CHANNEL_SECRET,
      messagingAccessToken: demo
        ? (e.LINE_MESSAGING_ACCESS_TOKEN ?? 'demo-access-token')
        : e.LINE_MESSAGING_ACCESS_TOKEN,
      // Demo mode: the stand-in's consent page, at the public origin (the browser goes there).
      authorizeUrl: demo ? `${publicUrl}/__line/oauth2/v2.1/authorize` : e.LINE_AUTHORIZE_URL,
      botPrompt: e.LINE_BOT_PROMPT,
      // Demo mode: an account to offer as a friend, so the offer can be tried.
      oaBasicId: demo ? (e.LINE_OA_BASIC_ID ?? '@membercarddemo') : e.LINE_OA_BASIC_ID,
    },
    linkBonusPoints: e.LINK_BONUS_POINTS,
    cardTokenTtlSeconds: e.CARD_TOKEN_TTL_SECONDS,
    pinHashSecret: e.PIN_HASH_SECRET,
    qrTokenSecret: e.QR_TOKEN_SECRET,
    consentVersion: e.CONSENT_VERSION,
    storeName: e.STORE_NAME,
    privacyPolicyUrl: e.PRIVACY_POLICY_URL,
    logLevel: e.LOG_LEVEL,
    integration: {
      apiKeyRatePerSecond: e.API_KEY_RATE_PER_SECOND,
      webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      webhookTimeoutMs: e.WEBHOOK_TIMEOUT_SECONDS * 1000,
    },
    points: {
      rate: parseRatio(e.POINTS_RATE),
      rankMultipliers: parseMultipliers(e.POINTS_RANK_MULTIPLIERS),
      rankThresholds: parseThresholds(e.POINTS_RANK_THRESHOLDS),
      expiryDays: e.POINTS_EXPIRY_DAYS,
      expiryIntervalMs: e.POINTS_EXPIRY_INTERVAL_MINUTES * 60_000,
      voidWindowMs: e.POINTS_VOID_WINDOW_MINUTES * 60_000,
      idempotencyRetentionMs: e.IDEMPOTENCY_RETENTION_HOURS * 3_600_000,
      timeZone: e.TILL_TIME_ZONE,
    },
  }
}

/**
 * Loads `.env` from the working directory (or else the repository root) without overriding
 * what the environment already sets, then validates. Used by the server entry and the CLIs;
 * `cwd` and `env` stand in for the process's own (tests).
 */
export function loadConfigFromProcess(
  o: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Config {
  const env = o.env ?? process.env
  for (const candidate of [
    resolve(o.cwd ?? process.cwd(), '.env'),
    resolve(import.meta.dirname, '../../.env'),
  ]) {
    if (existsSync(candidate)) {
      loadDotenv({ path: candidate, override: false, quiet: true, processEnv: env })
      break
    }
  }
  return loadConfig(env)
}

function stripSlash(s: string): string {
  return s.endsWith('/') ? s.slice(0, -1) : s
}

/**
 * `loadConfigFromProcess` for a process entry point (the server, a command): a bad setting is
 * printed (the message names the variable) and the process exits 1.
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfigFromProcess()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
}
