import * as oauth from 'oauth4webapi'

/** Why LINE Login's side of a web sign-in failed. */
export type LoginClientFailure =
  /** The callback carried `error` (the user cancelled: `access_denied`). */
  | { kind: 'authorization_error'; error: string }
  /** The token endpoint refused the code (`invalid_grant`: used, expired, wrong verifier...). */
  | { kind: 'token_rejected'; error: string }
  /** The ID token's claims did not check out (issuer, audience, times, nonce). */
  | { kind: 'id_token_invalid'; nonce: boolean }
  /** LINE could not be reached or answered something unusable. */
  | { kind: 'unavailable' }

/** A failure of LINE Login's side, for the web sign-in service to map. */
export class LoginClientError extends Error {
  constructor(readonly failure: LoginClientFailure) {
    super(failure.kind)
    this.name = 'LoginClientError'
  }
}

/** The fresh secrets of one sign-in and the LINE Login URL the browser is sent to. */
export interface LoginRequest {
  url: string
  state: string
  nonce: string
  codeVerifier: string
}

/**
 * LINE Login v2.1's authorization code flow with PKCE, as a client of LINE: the authorization
 * URL and the code exchange. Built on `oauth4webapi` (docs/decisions/058): its random values,
 * PKCE challenge, callback checks (`state`, `error`, duplicate parameters), token request
 * (`client_secret_post`) and ID-token claim checks (`iss`, `aud`, `exp`, `iat`, `nonce`). The
 * token's HS256 signature is checked by the caller with the app's own ID-token verifier.
 */
export interface LineLoginClient {
  begin(): Promise<LoginRequest>
  /** Exchanges the callback's code; returns the raw ID token (claims and nonce checked). */
  exchange(
    callback: URL,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<string>
}

export interface LineLoginClientOptions {
  /** Read at each call: in demo mode LINE's base is known only once the port is bound. */
  readonly authorizeUrl: string
  readonly apiBase: string
  readonly issuer: string
  readonly channelId: string
  readonly channelSecret: string
  readonly redirectUri: string
  readonly botPrompt: 'normal' | 'aggressive' | 'none'
  /** The app's clock (ms): the ID token's times are checked against it. */
  now(): number
}

/** How long the token request may take. */
const TOKEN_TIMEOUT_MS = 10_000

export function createLineLoginClient(opts: LineLoginClientOptions): LineLoginClient {
  const server = (): oauth.AuthorizationServer => ({
    issuer: opts.issuer,
    authorization_endpoint: opts.authorizeUrl,
    token_endpoint: `${opts.apiBase}/oauth2/v2.1/token`,
  })
  const client = (): oauth.Client => ({
    client_id: opts.channelId,
    // Web login's ID tokens are HS256 (keyed with the channel secret).
    id_token_signed_response_alg: 'HS256',
    [oauth.clockSkew]: Math.round((opts.now() - Date.now()) / 1000),
    [oauth.clockTolerance]: 60,
  })

  return {
    async begin() {
      const state = oauth.generateRandomState()
      const nonce = oauth.generateRandomNonce()
      const codeVerifier = oauth.generateRandomCodeVerifier()
      const url = new URL(opts.authorizeUrl)
      const q = url.searchParams
      q.set('response_type', 'code')
      q.set('client_id', opts.channelId)
      q.set('redirect_uri', opts.redirectUri)
      q.set('state', state)
      q.set('scope', 'openid profile')
      q.set('nonce', nonce)
      q.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
      q.set('code_challenge_method', 'S256')
      if (opts.botPrompt !== 'none') q.set('bot_prompt', opts.botPrompt)
      return { url: url.toString(), state, nonce, codeVerifier }
    },

    async exchange(callback, expected) {
      const as = server()
      const c = client()
      let params: URLSearchParams
      try {
        params = oauth.validateAuthResponse(as, c, callback, expected.state)
      } catch (err) {
        if (err instanceof oauth.AuthorizationResponseError) {
          throw new LoginClientError({ kind: 'authorization_error', error: err.error })
        }
        // A duplicated or missing parameter: nothing LINE would send.
        throw new LoginClientError({ kind: 'authorization_error', error: 'invalid_request' })
      }
      let response: Response
      try {
        response = await oauth.authorizationCodeGrantRequest(
          as,
          c,
          oauth.ClientSecretPost(opts.channelSecret),
          params,
          opts.redirectUri,
          expected.codeVerifier,
          {
            // Only the stand-in (tests, demo) is reached over plain HTTP.
            [oauth.allowInsecureRequests]: as.token_endpoint?.startsWith('http:') ?? false,
            signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
          },
        )
      } catch {
        throw new LoginClientError({ kind: 'unavailable' })
      }
      try {
        const result = await oauth.processAuthorizationCodeResponse(as, c, response, {
          expectedNonce: expected.nonce,
          requireIdToken: true,
        })
        if (typeof result.id_token !== 'string') throw new LoginClientError({ kind: 'unavailable' })
        return result.id_token
      } catch (err) {
        if (err instanceof LoginClientError) throw err
        if (err instanceof oauth.ResponseBodyError) {
          if (err.status >= 500) throw new LoginClientError({ kind: 'unavailable' })
          throw new LoginClientError({ kind: 'token_rejected', error: err.error })
        }
        if (
          err instanceof oauth.OperationProcessingError &&
          (err.code === oauth.JWT_CLAIM_COMPARISON || err.code === oauth.JWT_TIMESTAMP_CHECK)
        ) {
          const claim = (err.cause as { claim?: unknown } | undefined)?.claim
          throw new LoginClientError({ kind: 'id_token_invalid', nonce: claim === 'nonce' })
        }
        if (
          err instanceof oauth.OperationProcessingError &&
          err.code !== oauth.RESPONSE_IS_NOT_CONFORM &&
          err.code !== oauth.RESPONSE_IS_NOT_JSON &&
          err.code !== oauth.PARSE_ERROR
        ) {
          throw new LoginClientError({ kind: 'id_token_invalid', nonce: false })
        }
        throw new LoginClientError({ kind: 'unavailable' })
      }
    },
  }
}
