/** The encoder of `qrcode` without its renderers (the app draws its own SVG). */
declare module 'qrcode/lib/core/qrcode.js' {
  /** A string, or segments (each one string, encoded in the best single mode for it). */
  export function create(
    data: string | (string | { data: string; mode?: 'numeric' | 'alphanumeric' | 'byte' })[],
    options?: { errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H' },
  ): { modules: { size: number; data: Uint8Array | boolean[] } }
}
