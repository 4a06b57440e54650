/**
 * Where a QR token can come from at the till: LINE's own scanner (`liff.scanCodeV2`) inside
 * LINE, else the camera through the Barcode Detection API (the browser's own where it reads
 * QR codes, else the `barcode-detector` polyfill: ZXing in WebAssembly, served by this app,
 * never from a CDN). Manual entry and keyboard-wedge scanners are handled by the views.
 */

/** A member QR token: 36 characters of RFC 4648 base32. */
export const QR_TOKEN_PATTERN = /^[A-Z2-7]{36}$/

/**
 * An offline card code (docs/decisions/067): the QR's `OFF1-<link>-<8 digits>`, or the short
 * code a clerk types, `<link>-<8 digits>` (spaces ignored).
 */
const OFFLINE_CODE_PATTERN = /^(?:OFF1-)?([1-9]\d{0,9})[-‐－ー](\d{8})$/

/**
 * The token in `text` (trimmed, upper-cased), or an offline code in its QR form; null when it
 * cannot be either.
 */
export function normalizeQrToken(text: string): string | null {
  const t = text.trim().toUpperCase()
  if (QR_TOKEN_PATTERN.test(t)) return t
  const typed = t
    .replace(/[\s\u3000]/g, '')
    .replace(/[０-９]/g, (d) => String(d.charCodeAt(0) - 0xff10))
  const m = OFFLINE_CODE_PATTERN.exec(typed)
  return m ? `OFF1-${m[1]}-${m[2]}` : null
}

/** True inside the LINE app's in-app browser. */
export function isInLineApp(ua: string = navigator.userAgent): boolean {
  return /\bLine\//i.test(ua)
}

/** The smallest piece of a detector the till uses. */
export interface QrDetector {
  detect(source: HTMLVideoElement | ImageBitmapSource): Promise<{ rawValue: string }[]>
}

interface DetectorClass {
  new (opts: { formats: string[] }): QrDetector
  getSupportedFormats(): Promise<string[]>
}

/** A QR detector: the browser's own if it reads QR codes, else the WebAssembly polyfill. */
export async function createQrDetector(): Promise<QrDetector> {
  const native = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector
  if (native) {
    try {
      if ((await native.getSupportedFormats()).includes('qr_code')) {
        return new native({ formats: ['qr_code'] })
      }
    } catch {
      // fall through to the polyfill
    }
  }
  const [{ BarcodeDetector, prepareZXingModule }, { default: wasmUrl }] = await Promise.all([
    import('barcode-detector/ponyfill'),
    import('zxing-wasm/reader/zxing_reader.wasm?url'),
  ])
  prepareZXingModule({
    overrides: {
      locateFile: (path: string, prefix: string) =>
        path.endsWith('.wasm') ? wasmUrl : prefix + path,
    },
  })
  return new BarcodeDetector({ formats: ['qr_code'] })
}

let liffReady: Promise<typeof import('@line/liff').default> | null = null

/** LIFF, initialised once for the till (the customer start-up skips it on /staff). */
async function liffForTill() {
  liffReady ??= (async () => {
    const { default: liff } = await import('@line/liff')
    const res = await fetch('/api/config')
    const config = (await res.json()) as { liffId: string | null }
    if (!config.liffId) throw new Error('no LIFF ID')
    await liff.init({ liffId: config.liffId })
    return liff
  })()
  return liffReady
}

/** True when LINE's scanner can be used here (inside LINE, with Scan QR enabled). */
export async function lineScannerAvailable(): Promise<boolean> {
  if (!isInLineApp()) return false
  try {
    const liff = await liffForTill()
    return liff.isApiAvailable('scanCodeV2')
  } catch {
    return false
  }
}

/** Scans with LINE's own scanner; null when the user closed it. */
export async function scanWithLine(): Promise<string | null> {
  const liff = await liffForTill()
  const res = await liff.scanCodeV2()
  return res.value ?? null
}
