/**
 * Stands in for `dijkstrajs`, which `qrcode` needs only to split a plain string into mixed-mode
 * segments (`Segments.fromString`). The app always passes explicit segments (`lib/qr-svg.ts`),
 * so this is never called; if it ever were, it fails loudly instead of drawing a wrong code.
 */
export function find_path(): never {
  throw new Error('qrcode: mixed-mode segmentation is not bundled; pass explicit segments')
}
