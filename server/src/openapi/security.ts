import type { ErrorCode } from '@membercard/shared'
import type { OpenAPIV3_1 } from 'openapi-types'

/**
 * The ways a caller proves who it is (`components.securitySchemes`). A route's `auth` (see
 * describe.ts) picks which of them it accepts.
 */
export const securitySchemes: Record<string, OpenAPIV3_1.SecuritySchemeObject> = {
  lineIdToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A customer: the LINE ID token of the LIFF app (`liff.getIDToken()`), verified against ' +
      'the LINE Login channel (`aud`) and issuer. An expired token gets 401 `ID_TOKEN_EXPIRED`.',
  },
  webSession: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-mc_session',
    description:
      'A customer signed in with LINE Login on the web (`/login/line`). Named `mc_session` when ' +
      'PUBLIC_URL is not HTTPS. A write must come from this app’s origin.',
  },
  staffToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A staff session: the `token` of `POST /api/staff/login`. Clerks and managers use the ' +
      'till routes of their store; operators and admins the admin routes.',
  },
  posApiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A POS API key of one store (`pnpm apikey:create --store <code> --name <label> ' +
      '[--scopes scan,points,coupons]`): acts as a till of its store on the routes its scopes ' +
      'allow (the scope is named in each route’s security requirement).',
  },
  consoleCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-membercard-console',
    description:
      'The console’s session cookie, set by `POST /api/admin/session` (named ' +
      '`membercard-console` when PUBLIC_URL is not HTTPS).',
  },
  csrfToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-CSRF-Token',
    description: 'The `csrfToken` of the console session: required with the cookie on every write.',
  },
}

/** Who may call a route. `till` routes also take a POS API key with the scope named. */
export type Auth =
  | 'none'
  | 'customer'
  | 'staff'
  | 'admin'
  | { till: 'scan' | 'points' | 'coupons' | null }

/** The security requirement of a route: any one of the objects, each of all its schemes. */
export function securityOf(auth: Auth, method: string): OpenAPIV3_1.SecurityRequirementObject[] {
  if (auth === 'none') return []
  if (auth === 'customer') return [{ lineIdToken: [] }, { webSession: [] }]
  if (auth === 'staff') return [{ staffToken: [] }]
  if (auth === 'admin') {
    const write = method !== 'get' && method !== 'head'
    return [
      { staffToken: [] },
      write ? { consoleCookie: [], csrfToken: [] } : { consoleCookie: [] },
    ]
  }
  return auth.till === null
    ? [{ staffToken: [] }]
    : [{ staffToken: [] }, { posApiKey: [auth.till] }]
}

/** The errors every route of a kind may answer for its authentication. */
export function authErrors(auth: Auth): ErrorCode[] {
  if (auth === 'none') return []
  if (auth === 'customer') return ['INVALID_ID_TOKEN', 'ID_TOKEN_EXPIRED']
  if (auth === 'admin') return ['STAFF_AUTH_REQUIRED', 'FORBIDDEN']
  return ['STAFF_AUTH_REQUIRED']
}
