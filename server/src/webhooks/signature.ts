import { createHmac } from 'node:crypto'

/** The header that carries the time and the signature: `t=<unix seconds>,v1=<hex>`. */
export const SIGNATURE_HEADER = 'X-Membercard-Signature'

/**
 * The signature of one delivery: HMAC-SHA256, keyed with the endpoint's secret, of
 * `<timestamp>.<body>` (the body exactly as sent), hex. The receiver recomputes it and rejects
 * a timestamp older than 5 minutes (docs/pos-integration.md).
 */
export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')
  return `t=${timestampSeconds},v1=${mac}`
}
