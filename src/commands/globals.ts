import { Options } from "@effect/cli"
import { Context, Duration, Option } from "effect"

/** Flags that work before or after any subcommand (see `hoistGlobalFlags`). */
export interface GlobalFlags {
  readonly json: boolean
  readonly db: Option.Option<string>
  readonly timeout: Duration.Duration
  readonly retries: number
  readonly insecure: boolean
}

export const GlobalFlags = Context.GenericTag<GlobalFlags>("fazt/cli/GlobalFlags")

/** `30s`, `500ms`, `2m`, `1h`; a bare number is seconds. */
export const parseDuration = (input: string): Option.Option<Duration.Duration> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(input)
  if (!m) return Option.none()
  const n = Number(m[1])
  const unit = m[2] ?? "s"
  const ms = unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000
  return ms > 0 ? Option.some(Duration.millis(ms)) : Option.none()
}

export const globalOptions = {
  json: Options.boolean("json").pipe(
    Options.withDescription("Print {\"data\": …} on stdout, and errors as {\"error\": …} on stderr")
  ),
  db: Options.text("db").pipe(
    Options.withDescription("The fazt database file (default: $FAZT_DB, else ~/.config/fazt/data.db)"),
    Options.optional
  ),
  timeout: Options.text("timeout").pipe(
    Options.withDescription("Time allowed for each request to a peer: 30s, 500ms, 2m (a bare number is seconds)"),
    Options.withDefault("30s")
  ),
  retries: Options.integer("retries").pipe(
    Options.withDescription("Further attempts after a transient failure (0 disables)"),
    Options.withDefault(3)
  ),
  insecure: Options.boolean("insecure").pipe(
    Options.withDescription("Allow sending a token over plain http to a host that is not loopback")
  )
}

const VALUED = new Set(["--db", "--timeout", "--retries"])
const BARE = new Set(["--json", "--insecure"])

/**
 * `@effect/cli` only sees options in front of the subcommand that declares
 * them, so global flags are moved to the front wherever the user typed them.
 * Everything after `--` is left alone.
 */
export const hoistGlobalFlags = (args: ReadonlyArray<string>): Array<string> => {
  const hoisted: Array<string> = []
  const rest: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") {
      rest.push(...args.slice(i))
      break
    }
    const eq = arg.indexOf("=")
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    if (BARE.has(arg)) {
      hoisted.push(arg)
    } else if (VALUED.has(flag)) {
      if (eq > 0) {
        hoisted.push(flag, arg.slice(eq + 1))
      } else if (i + 1 < args.length) {
        hoisted.push(arg, args[++i]!)
      } else {
        rest.push(arg)
      }
    } else {
      rest.push(arg)
    }
  }
  return [...hoisted, ...rest]
}
