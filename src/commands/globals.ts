import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { dbPathProblem } from "../domain/dbPath.js"
import { UsageError } from "../domain/errors.js"
import { MAX_RETRIES } from "../domain/transportPolicy.js"
import { integerIn, optionalChoice, optionalText, switchFlag, valueFlag } from "./flags.js"
import { type CommandSpec, type FlagSpec, takesPeerFirst, verbAt } from "./spec.js"

/** Flags that work before or after any subcommand (see `hoistGlobalFlags`). */
export interface GlobalFlags {
  readonly json: boolean
  readonly db: Option.Option<string>
  readonly timeout: Duration.Duration
  readonly retries: number
  readonly insecure: boolean
  /** The peer for commands that name none (`--peer`, or `fazt @name …`). */
  readonly peer: Option.Option<string>
}

export const GlobalFlags = Context.GenericTag<GlobalFlags>("fazt/cli/GlobalFlags")

/** The command being run (`["fazt", "remote", "add"]`), once the command line is understood (main.ts). */
export const CommandPath = Context.GenericTag<ReadonlyArray<string>>("fazt/cli/CommandPath")

/** The variables that name a database, judged as `--db` is (`dbPathProblem`). */
const DB_VARIABLES = ["FAZT_DB", "FAZT_DB_PATH"] as const

/** A database variable that is set but unusable (`FAZT_DB=""`, `FAZT_DB=' '`, `:memory:`, a newline) is a usage error. */
export const checkDbVariables: Effect.Effect<void, UsageError> = Effect.forEach(DB_VARIABLES, (name) =>
  Effect.flatMap(Effect.orDie(Config.option(Config.string(name))), (value) => {
    const problem = Option.isSome(value) ? dbPathProblem(value.value) : undefined
    return problem === undefined ? Effect.void : new UsageError({ message: `${name} is set but ${problem}` })
  }), { discard: true })

/** `30s`, `500ms`, `2m`, `1h`; a bare number is seconds. */
export const parseDuration = (input: string): Option.Option<Duration.Duration> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(input)
  if (!m) return Option.none()
  const n = Number(m[1])
  const unit = m[2] ?? "s"
  const ms = unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000
  return ms > 0 && ms <= MAX_TIMEOUT_MS ? Option.some(Duration.millis(ms)) : Option.none()
}

/** The longest `--timeout`: a day. Past ~24.8 days Node's timers overflow and fire at once, or never. */
export const MAX_TIMEOUT_MS = 24 * 3_600_000

export const globalOptions = {
  json: switchFlag("json", "Print {\"data\": …} on stdout, and errors as {\"error\": …} on stderr"),
  db: Options.text("db").pipe(
    Options.withDescription("The fazt database file, shared with fazt itself (default: $FAZT_DB_PATH, else ~/.fazt/data.db)"),
    Options.mapEffect((text) => {
      const problem = dbPathProblem(text)
      return problem === undefined
        ? Effect.succeed(text)
        // eslint-disable-next-line no-control-regex -- control characters are what it masks
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--db ${problem.startsWith("it is empty") ? "is empty: give the path of a database file" : `'${text.replace(/[\u0000-\u001f\u007f]/g, "?")}': ${problem}`}`)))
    }),
    Options.optional
  ),
  timeout: valueFlag("timeout", {
    description: "Time allowed for each request to a peer: 30s, 500ms, 2m (a bare number is seconds)",
    fallback: "30s",
    read: (text) => Option.getOrUndefined(parseDuration(text)),
    expected: "e.g. 30s, 500ms, 2m; at most 24h"
  }),
  retries: valueFlag("retries", {
    description: `Further attempts after a transient failure: 0 (none) to ${MAX_RETRIES}; waits between them grow to at most 10 s`,
    fallback: "3",
    read: integerIn(0, MAX_RETRIES),
    expected: `0 to ${MAX_RETRIES}`
  }),
  insecure: switchFlag("insecure", "Allow sending a token over plain http to a host that is not loopback"),
  peer: optionalText("peer", "The peer for commands that name none (also: fazt @name <command>, or FAZT_PEER)"),
  // fazt v0.29's global `--format json|markdown`: json is --json, markdown our usual text.
  format: optionalChoice("format", "fazt's spelling: json means --json; markdown, the usual text", ["json", "markdown"])
}

/**
 * The global flags' names (aliases too), split by whether they take a value.
 * Read from the root command's own definition (`commandSpec(fazt).flags`),
 * never listed by hand: a flag added to `globalOptions` works before or after
 * any command at once.
 */
export interface GlobalFlagNames {
  readonly valued: ReadonlySet<string>
  readonly bare: ReadonlySet<string>
}

export const globalFlagNames = (flags: ReadonlyArray<FlagSpec>): GlobalFlagNames => ({
  valued: new Set(flags.filter((f) => f.takesValue).flatMap((f) => [f.name, ...f.aliases])),
  bare: new Set(flags.filter((f) => !f.takesValue).flatMap((f) => [f.name, ...f.aliases]))
})

/**
 * `@effect/cli` only sees options in front of the subcommand that declares
 * them, so global flags are moved to the front wherever the user typed them.
 * Everything after `--` is left alone.
 */
export const hoistGlobalFlags = (args: ReadonlyArray<string>, globals: GlobalFlagNames): Array<string> => {
  const VALUED = globals.valued
  const BARE = globals.bare
  const hoisted: Array<string> = []
  const rest: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") {
      for (let j = i; j < args.length; j++) rest.push(args[j]!)
      break
    }
    const eq = arg.indexOf("=")
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const format = flag === "--format" ? (eq > 0 ? arg.slice(eq + 1) : args[i + 1]) : undefined
    if (format === "json" || format === "markdown") {
      if (format === "json") hoisted.push("--json")
      if (eq < 0) i++
    } else if (BARE.has(arg)) {
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

/** fazt v0.29's own commands after `@peer` that fazt remote does not carry (`cmd/server/main.go` handleAtPeerRouting). */
const FAZT_ONLY = new Set(["sql", "user", "alias", "auth", "logs"])

/**
 * What a `fazt @name …` line means: the arguments to run, or a line of
 * guidance for a command that cannot run on a peer (fazt's own guidance in
 * `handleAtPeerRouting`, said in one line; exit 2).
 */
export type Expanded = { readonly _tag: "Args"; readonly args: Array<string> } | { readonly _tag: "Guidance"; readonly message: string }

const guidance = (verb: string, name: string, rest: ReadonlyArray<string>): string | undefined => {
  const tail = rest.length === 0 ? "" : ` ${rest.join(" ")}`
  switch (verb) {
    case "service":
      return `'service' needs ${name}'s own system (systemd, sudo): run 'sudo fazt service${tail}' on ${name} itself, over ssh`
    case "client":
      return `'client' configures this machine, not a peer: run 'fazt client${tail}' without @${name}`
    case "servers":
      return `'servers' became 'peer': 'fazt peer list' lists this machine's peers`
    case "peer":
      return `the peers kept on ${name} are managed on ${name} itself ('fazt peer${tail}' there, over ssh); 'fazt peer${tail}' here works on this machine's`
    default:
      return FAZT_ONLY.has(verb)
        ? `'fazt @${name} ${verb}' is fazt's own command, which fazt remote does not carry: run it with fazt itself`
        : undefined
  }
}

/**
 * `fazt @zyt status` → `fazt --peer zyt remote status`; the verbs that take
 * a stored peer's name first (`takesPeerFirst`, read from `tree`):
 * `fazt @zyt show` → `fazt remote show zyt`, `fazt @zyt rm` → `fazt remote rm zyt`; fazt v0.29's
 * words: `fazt @zyt app list` → `fazt --peer zyt remote app list`,
 * `fazt @zyt server info` → `fazt --peer zyt remote info`. `fazt @zyt` alone
 * shows the peer. Flags between the name and the verb stay with the command.
 */
export const expandPeerShorthand = (args: ReadonlyArray<string>, globals: GlobalFlagNames, tree: CommandSpec): Expanded => {
  const VALUED = globals.valued
  const remote = tree.children.find((c) => c.name === "remote")
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") break
    if (VALUED.has(arg)) {
      i++
      continue
    }
    if (arg.startsWith("-")) continue
    if (!arg.startsWith("@") || arg.length < 2) break
    const name = arg.slice(1)
    const before = args.slice(0, i)
    // The verb is the next word that is not a flag (nor a global flag's value).
    const between: Array<string> = []
    let v = i + 1
    for (; v < args.length; v++) {
      const word = args[v]!
      if (word === "--" || !word.startsWith("-")) break
      between.push(word)
      if (VALUED.has(word) && v + 1 < args.length) between.push(args[++v]!)
    }
    const verb = args[v] === "--" ? undefined : args[v]
    const after = args.slice(v + 1)
    const run = (head: ReadonlyArray<string>, rest: ReadonlyArray<string> = after): Expanded => ({
      _tag: "Args",
      args: [...before, ...head, ...between, ...rest]
    })
    if (verb === undefined) return run(["remote", "show", name], args.slice(v))
    const command = remote === undefined ? undefined : verbAt(remote, verb)?.at(-1)
    if (command !== undefined && takesPeerFirst(command)) return run(["remote", verb, name])
    if (verb === "server") {
      const sub = after.find((w) => !w.startsWith("-"))
      if (sub === "info" || sub === "status") return run(["--peer", name, "remote", "info"], after.filter((w) => w !== sub))
      return {
        _tag: "Guidance",
        message: sub === undefined
          ? `'fazt @${name} server' needs a command: 'info' (or 'status') works on a peer; the others run on ${name} itself`
          : `'server ${sub}' runs on ${name} itself, not from here: over ssh, 'fazt server ${after.join(" ")}'`
      }
    }
    const advice = guidance(verb, name, after)
    if (advice !== undefined) return { _tag: "Guidance", message: advice }
    return run(["--peer", name, "remote", verb])
  }
  return { _tag: "Args", args: [...args] }
}
