import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import type * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { UsageError } from "../domain/errors.js"
import { type CommandSpec, type FlagSpec, nearest, VERB_ALIASES, verbAt } from "./spec.js"

/**
 * Flags every command takes that `@effect/cli` adds itself. `--wizard` is
 * left out on purpose: an interactive mode nobody asked for.
 */
export const BUILTIN_FLAGS: ReadonlyArray<FlagSpec> = [
  { name: "--help", aliases: ["-h"], takesValue: false, placeholder: "", description: "Show this help", defaultValue: undefined, choices: [] },
  { name: "--version", aliases: ["-v"], takesValue: false, placeholder: "", description: "Print fazt's version", defaultValue: undefined, choices: [] },
  {
    name: "--completions",
    aliases: [],
    takesValue: true,
    placeholder: "SHELL",
    description: "Print a completion script for bash, zsh or fish",
    defaultValue: undefined,
    choices: ["bash", "zsh", "fish"]
  },
  {
    name: "--log-level",
    aliases: [],
    takesValue: true,
    placeholder: "LEVEL",
    description: "Log to stderr from this level on: debug, info, warning, error (also FAZT_LOG_LEVEL; default: warning)",
    defaultValue: undefined,
    choices: ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"]
  }
]

export type Verdict =
  /** Hand these arguments (aliases resolved) to `@effect/cli`; they name `command`. */
  | { readonly _tag: "Run"; readonly args: ReadonlyArray<string>; readonly command: CommandSpec }
  | { readonly _tag: "Help"; readonly command: CommandSpec }
  | { readonly _tag: "Completions"; readonly shell: string }
  /** `--version` anywhere before `--`, with any other flags (`fazt --json --version`). */
  | { readonly _tag: "Version" }
  /** A mistake in what was typed: one line, exit 2. */
  | { readonly _tag: "Usage"; readonly message: string }

const matches = (flag: FlagSpec, word: string) => flag.name === word || flag.aliases.includes(word)

/** The flags `command` accepts: its own, the global ones and the built-in ones. */
export const acceptedFlags = (root: CommandSpec, command: CommandSpec): ReadonlyArray<FlagSpec> =>
  command === root ? [...root.flags, ...BUILTIN_FLAGS] : [...command.flags, ...root.flags, ...BUILTIN_FLAGS]

const didYouMean = (word: string, candidates: ReadonlyArray<string>, quote: boolean) => {
  const guess = nearest(word, candidates)
  if (guess === undefined) return ""
  return quote ? ` (did you mean '${guess}'?)` : ` (did you mean ${guess}?)`
}

/**
 * Reads the command line the way `@effect/cli` will, before it does: resolves
 * habits (`remote ls`, `remote rm`), answers `--help` and `--completions`
 * from the command tree, and turns an unknown word or flag into one clear
 * line instead of a peer named `--al`. Global flags are already hoisted.
 */
export const interpret = (root: CommandSpec, args: ReadonlyArray<string>): Verdict => {
  const out: Array<string> = []
  let current = root
  let positionals = 0
  let help = false
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!
    if (word === "--") {
      out.push(...args.slice(i))
      break
    }
    if (word.startsWith("-") && word.length > 1) {
      const eq = word.startsWith("--") ? word.indexOf("=") : -1
      const name = eq > 0 ? word.slice(0, eq) : word
      const accepted = acceptedFlags(root, current)
      const flag = accepted.find((f) => matches(f, name))
      if (flag === undefined) {
        if (help) continue
        const where = current.path.join(" ")
        return {
          _tag: "Usage",
          message: `unknown flag '${name}' for '${where}'${didYouMean(name, accepted.flatMap((f) => [f.name, ...f.aliases]), false)}; see '${where} --help'`
        }
      }
      if (flag.name === "--help") help = true
      if (flag.name === "--version" && !help) return { _tag: "Version" }
      const value = eq > 0 ? word.slice(eq + 1) : flag.takesValue ? args[i + 1] : undefined
      if (flag.name === "--completions") {
        return value === undefined
          ? { _tag: "Usage", message: "--completions needs a shell: bash, zsh or fish" }
          : { _tag: "Completions", shell: value }
      }
      if (flag.takesValue && value === undefined && !help) {
        const where = current.path.join(" ")
        return { _tag: "Usage", message: `${name} needs a value (${flag.placeholder}); see '${where} --help'` }
      }
      out.push(word)
      if (flag.takesValue && eq <= 0 && i + 1 < args.length) out.push(args[++i]!)
      continue
    }
    if (current.children.length > 0 && positionals === 0) {
      const steps = verbAt(current, word)
      if (steps !== undefined) {
        for (const step of steps) {
          current = step
          out.push(step.name)
        }
        continue
      }
      if (current.args.length === 0) {
        const verbs = current.children.map((c) => c.name)
        const known = [...verbs, ...Object.keys(VERB_ALIASES).filter((a) => VERB_ALIASES[a]!.parent === current.name)]
        // `fazt status` means `fazt remote status`.
        const deeper = current.children.find((c) => c.children.some((g) => g.name === word))
        const guess = deeper !== undefined ? ` (did you mean '${[...deeper.path, word].join(" ")}'?)` : didYouMean(word, known, true)
        return {
          _tag: "Usage",
          message: `unknown command '${word}' for '${current.path.join(" ")}'${guess === "" ? ` (one of: ${verbs.join(", ")})` : guess}`
        }
      }
    }
    positionals++
    out.push(word)
  }
  return help ? { _tag: "Help", command: current } : { _tag: "Run", args: out, command: current }
}

// eslint-disable-next-line no-control-regex -- the escape character starts each colour code
const ANSI = /\x1b\[[0-9;]*m/g

/** `Missing argument <url>` → `missing argument <url> for 'fazt remote add'; see 'fazt remote add --help'`. */
const usageMessage = (error: ValidationError.ValidationError, command: CommandSpec): string => {
  const text = HelpDoc.toAnsiText(error.error).replace(ANSI, "").trim().split("\n")[0]!.replace(/\.$/, "")
  // A flag's own check (src/commands/flags.ts) already names the flag and what it expects.
  if (ValidationError.isInvalidValue(error) && text.startsWith("--")) return text
  const where = command.path.join(" ")
  // @effect/cli's "Expected to find option: '--name'", in our words.
  const missing = /^expected to find option: '(--[\w-]+)'/i.exec(text)
  if (missing !== null) return `${missing[1]} is required for '${where}'; see '${where} --help'`
  return `${text.charAt(0).toLowerCase()}${text.slice(1)} for '${where}'; see '${where} --help'`
}

/** The `--log-level` values `BUILTIN_FLAGS` lists (`debug`), as effect's levels (`Debug`). */
const LOG_LEVEL_CHOICES = BUILTIN_FLAGS.find((f) => f.name === "--log-level")!.choices
const logLevelNamed = (name: string): LogLevel.LogLevel | undefined => {
  const choice = name.toLowerCase()
  return LOG_LEVEL_CHOICES.includes(choice)
    ? LogLevel.fromLiteral(`${choice.charAt(0).toUpperCase()}${choice.slice(1)}` as LogLevel.Literal)
    : undefined
}

/**
 * `--log-level X` / `--log-level=X` taken out of `args` (before any `--`).
 * @effect/cli reads it only after the last subcommand's name: in front of
 * one (`fazt --log-level debug remote status`) it took `debug` for the
 * subcommand. Here it works anywhere, like every global flag.
 */
const takeLogLevel = (args: ReadonlyArray<string>): { readonly level: string | undefined; readonly rest: Array<string> } => {
  const rest: Array<string> = []
  let level: string | undefined
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!
    if (word === "--") {
      rest.push(...args.slice(i))
      break
    }
    if (word === "--log-level") level = args[++i]
    else if (word.startsWith("--log-level=")) level = word.slice("--log-level=".length)
    else rest.push(word)
  }
  return { level, rest }
}

/**
 * Parses `verdict.args` once, as `Command.run` would, and runs what they ask
 * for: the command's handler with the parsed value, at the `--log-level`
 * asked for. `Command.run` would parse the whole line a second time. A parse error (a missing argument, a flag's value
 * refused by its definition, a word left over) is a `UsageError` like every
 * other mistake in what was typed: one line, or the `USAGE` envelope under
 * `--json`, never @effect/cli's own print. A built-in goes to `otherwise`
 * (`Command.run`), which fazt never reaches: `--help`, `--version`,
 * `--wizard` and `--completions` are answered or refused before parsing.
 */
export const runParsed = <Name extends string, R, E, A, R2, E2>(
  root: Command.Command<Name, R, E, A>,
  verdict: Extract<Verdict, { _tag: "Run" }>,
  otherwise: (args: ReadonlyArray<string>) => Effect.Effect<void, E2, R2>
): Effect.Effect<void, E | E2 | UsageError, R | R2 | CliApp.CliApp.Environment> => {
  const { level, rest } = takeLogLevel(verdict.args)
  const minimum = level === undefined ? undefined : logLevelNamed(level)
  if (level !== undefined && minimum === undefined) {
    return new UsageError({ message: `--log-level: expected one of ${LOG_LEVEL_CHOICES.join(", ")}, not '${level}'` })
  }
  // The root command's name comes first, as `Command.run` puts it.
  const run = Descriptor.parse(root.descriptor, [verdict.command.path[0]!, ...rest], CliConfig.defaultConfig).pipe(
    Effect.mapError((error) => new UsageError({ message: usageMessage(error, verdict.command) })),
    Effect.flatMap((directive): Effect.Effect<void, E | E2 | UsageError, R | R2 | CliApp.CliApp.Environment> => {
      if (directive._tag === "UserDefined") {
        // Words left over once every argument is taken (`fazt remote show a b`).
        const extra = directive.leftover[0]
        if (extra !== undefined) {
          const where = verdict.command.path.join(" ")
          return new UsageError({ message: `unexpected argument '${extra}' for '${where}'; see '${where} --help'` })
        }
        return root.transform(root.handler(directive.value), directive.value)
      }
      return otherwise(rest)
    })
  )
  return minimum === undefined ? run : Logger.withMinimumLogLevel(run, minimum)
}
