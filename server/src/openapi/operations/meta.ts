import type { Operations } from '../describe.ts'
import * as s from '../schemas.ts'

/** Public settings and this document. */
export const metaOperations = {
  'GET /api/config': {
    summary: 'Public settings the LIFF app needs before it signs in',
    tag: 'Meta',
    auth: 'none',
    ok: {
      status: 200,
      description: 'The settings.',
      schema: s.clientConfig,
      example: {
        mode: 'line',
        liffId: '1234567890-AbCdEfGh',
        storeName: 'さくらベーカリー',
        bonusPoints: 200,
        consentVersion: '2026-04',
        privacyPolicyUrl: 'https://members.example.jp/privacy',
        qrTtlSeconds: 60,
        oaBasicId: '@123abcde',
      },
    },
  },
  'GET /api/openapi.json': {
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated from the schemas the server validates requests with.',
    tag: 'Meta',
    auth: 'none',
    ok: { status: 200, description: 'The document.', contentType: 'application/json' },
  },
  'GET /api/docs': {
    summary: 'The API reference page (Swagger UI, served from this server)',
    tag: 'Meta',
    auth: 'none',
    ok: { status: 200, description: 'An HTML page.', contentType: 'text/html' },
  },
  'GET /api/docs/{file}': {
    summary: 'The reference page’s script, stylesheet and start-up script',
    tag: 'Meta',
    auth: 'none',
    ok: { status: 200, description: 'A static file.', contentType: 'application/octet-stream' },
    errors: ['NOT_FOUND'],
  },
} satisfies Operations
