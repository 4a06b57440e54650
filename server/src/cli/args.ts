// biome-ignore-all lint/style/noRestrictedGlobals: command-line entry points
import { type ParseArgsConfig, parseArgs } from 'node:util'

/** A command's name as typed (`pnpm points:expire`) and its help text. */
export interface CommandHelp {
  /** The script name, e.g. `points:expire`. */
  name: string
  /** Printed by `--help`: starts with `Usage: pnpm <name> ...`, then what it does and its flags. */
  help: string
}

/** The `--help` flag every command takes. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const

/** Ends the command with status 2: what was wrong and where the usage is. */
export function refuse(command: CommandHelp, message: string): never {
  console.error(`pnpm ${command.name}: ${message}`)
  console.error(`Run "pnpm ${command.name} --help" for its usage.`)
  process.exit(2)
}

/** The message of a parseArgs error, for a person (the flag named, no hint about `--`). */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string }
  const message = e.message ?? String(err)
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1]
    return flag ? `unknown flag '${flag}'` : message
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(message)?.[1]
    return arg !== undefined ? `unexpected argument '${arg}'` : message
  }
  return message
}

/**
 * Reads the command line with `node:util` `parseArgs` (strict: an unknown flag, a flag
 * without its value or a stray argument ends the command with status 2, changing nothing).
 * `--help` prints the help and exits 0. The `--` that `pnpm <script> -- ...` passes on is
 * dropped. `options` must include `HELP_OPTION`.
 */
export function parseCommand<const T extends Omit<ParseArgsConfig, 'args' | 'strict'>>(
  command: CommandHelp,
  config: T,
  argv: string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<T & { strict: true }>> {
  let parsed: ReturnType<typeof parseArgs<T & { strict: true }>>
  try {
    parsed = parseArgs({
      ...config,
      args: argv.filter((a) => a !== '--'),
      strict: true,
    }) as ReturnType<typeof parseArgs<T & { strict: true }>>
  } catch (err) {
    refuse(command, describe(err))
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(command.help)
    process.exit(0)
  }
  return parsed
}
