import type { MessageCompiler, MessageContext } from 'vue-i18n'

/**
 * The app's message compiler: plain text with `{name}` placeholders, which is all its messages
 * use. It lets the build ship vue-i18n's runtime-only bundle, without the full compiler.
 */
export const compileMessage: MessageCompiler = (message, { key, onError }) => {
  if (typeof message !== 'string') {
    onError?.(Object.assign(new Error(`message ${key} is not a string`), { code: 0 }) as never)
    return () => key
  }
  // Odd indices are placeholder names.
  const parts = message.split(/\{(\w+)\}/)
  if (parts.length === 1) return () => message
  return (ctx: MessageContext) =>
    parts.map((p, i) => (i % 2 === 1 ? String(ctx.named(p) ?? '') : p)).join('')
}
