import type * as CliApp from "@effect/cli/CliApp"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Terminal from "@effect/platform/Terminal"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as util from "node:util"
import { answerCompletion, completionScript } from "./commands/completion.js"
import { cli, fazt } from "./commands/fazt.js"
import { EXIT_INTERRUPTED, EXIT_TERMINATED, exitCodeOf, exitCodes, reportFailure } from "./commands/failure.js"
import { CommandPath, expandPeerShorthand, globalFlagNames, hoistGlobalFlags } from "./commands/globals.js"
import { renderHelp } from "./commands/help.js"
import { escapeControl, jsonLine } from "./commands/output.js"
import { liveLine } from "./commands/progress.js"
import { afterQueuedWrites, isTerminal, outputLostError } from "./commands/stdio.js"
import { commandSpec } from "./commands/spec.js"
import { interpret, runParsed } from "./commands/usage.js"
import { UsageError } from "./domain/errors.js"
import { VERSION } from "./version.js"

// `fazt help [command…]` and `fazt version`, as git, gh and docker take them.
const typed = process.argv.slice(2)
const rawArgs = typed[0] === "help"
  ? [...typed.slice(1), "--help"]
  : typed[0] === "version" && typed.length === 1
  ? ["--version"]
  : typed
// Help, completions and mistakes in what was typed are answered from the
// command tree before @effect/cli parses anything (src/commands/usage.ts);
// which words are global flags, and which verbs take a peer's name first, are read from it too.
const tree = commandSpec(fazt)
const globals = globalFlagNames(tree.flags)
const expanded = expandPeerShorthand(rawArgs, globals, tree)
const userArgs = hoistGlobalFlags(expanded._tag === "Args" ? expanded.args : rawArgs, globals)
const end = userArgs.indexOf("--")
const json = (end === -1 ? userArgs : userArgs.slice(0, end)).includes("--json")

const program = (): Effect.Effect<void, unknown, CliApp.CliApp.Environment> => {
  if (rawArgs[0] === "__complete") return answerCompletion(tree, rawArgs.slice(1))
  if (expanded._tag === "Guidance") return new UsageError({ message: expanded.message })
  const verdict = interpret(tree, userArgs)
  switch (verdict._tag) {
    case "Version":
      return Console.log(VERSION)
    case "Help":
      return Console.log(renderHelp(tree, verdict.command))
    case "Completions": {
      const script = completionScript(verdict.shell)
      return script === undefined
        ? new UsageError({ message: `--completions ${verdict.shell}: expected bash, zsh or fish` })
        : Console.log(script.trimEnd())
    }
    case "Usage":
      return new UsageError({ message: verdict.message })
    case "Run":
      return runParsed(fazt, verdict, (args) => cli([process.argv[0]!, process.argv[1]!, ...args])).pipe(
        Effect.provideService(CommandPath, verdict.command.path)
      )
  }
}

// What @effect/cli may ask for: FileSystem and Path (for file options, which
// fazt has none of) and a Terminal (for prompts, which fazt never shows).
// Given as ready services, not layers: building three layers cost ~500
// Effect operations at every start (README "Performance"), and each service is
// made only when first used: Node's terminal, for one, opens process.stdin.
const madeOnFirstUse = <I, S extends object>(tag: Context.Tag<I, S>, layer: Layer.Layer<I>): S => {
  let made: S | undefined
  const service = () => (made ??= Context.get(Effect.runSync(Effect.scoped(Layer.build(layer))), tag))
  return new Proxy({} as S, { get: (_, member) => Reflect.get(service(), member) })
}
// A terminal per use, in the caller's scope (readInput's) or its own.
const terminalOnUse: Terminal.Terminal = {
  columns: Effect.scoped(Effect.flatMap(NodeTerminal.make(), (t) => t.columns)),
  rows: Effect.scoped(Effect.flatMap(NodeTerminal.make(), (t) => t.rows)),
  isTTY: Effect.scoped(Effect.flatMap(NodeTerminal.make(), (t) => t.isTTY)),
  readInput: Effect.flatMap(NodeTerminal.make(), (t) => t.readInput),
  readLine: Effect.scoped(Effect.flatMap(NodeTerminal.make(), (t) => t.readLine)),
  display: (text) => Effect.scoped(Effect.flatMap(NodeTerminal.make(), (t) => t.display(text)))
}
const cliEnvironment: Context.Context<CliApp.CliApp.Environment> = Context.make(
  FileSystem.FileSystem,
  madeOnFirstUse(FileSystem.FileSystem, NodeFileSystem.layer)
).pipe(
  Context.add(Path.Path, madeOnFirstUse(Path.Path, NodePath.layer)),
  Context.add(Terminal.Terminal, terminalOnUse)
)

// runMain interrupts the program on SIGINT and SIGTERM alike; scripts tell them apart by the code (130, 143).
// A signal can also be heard only once the program has ended: one that came
// while a write waited for a full pipe (Node hears it when the write returns),
// or while output queued for a slow reader drains. The run stops there, with
// the signal's code.
let signalled: number | undefined
let ended = false
const onSignal = (code: number) => () => {
  signalled ??= code
  if (ended) process.exit(code)
}
process.once("SIGINT", onSignal(EXIT_INTERRUPTED))
process.once("SIGTERM", onSignal(EXIT_TERMINATED))

// Node's own one-time warning for NODE_TLS_REJECT_UNAUTHORIZED=0 is a plain
// line (not JSON under --json) that names no peer: each peer reached so is
// named in a warning of ours instead (HttpTransport).
const emitWarning = process.emitWarning.bind(process) as (...args: Array<unknown>) => void
process.emitWarning = ((warning: unknown, ...rest: Array<unknown>) => {
  if (String(warning).includes("NODE_TLS_REJECT_UNAUTHORIZED")) return
  emitWarning(warning, ...rest)
}) as typeof process.emitWarning

// Logs are messages, so they go to stderr, at FAZT_LOG_LEVEL (default: warnings).
const stderrLogger = Logger.make<unknown, void>(({ date, logLevel, message }) => {
  const text = (Array.isArray(message) ? message : [message]).map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ")
  // A library warning (say, state that could not be recorded) reads like the CLI's own.
  // Under --json, stderr carries only JSON lines (docs/JSON.md).
  const line = logLevel._tag === "Warning"
    ? json ? `${jsonLine({ warning: text })}\n` : `warning: ${escapeControl(text)}\n`
    : json
    ? `${jsonLine({ log: { level: logLevel.label, time: date.toISOString(), message: text } })}\n`
    : `${date.toISOString()} ${logLevel.label} ${escapeControl(text)}\n`
  // Above the live progress line, as every other message.
  liveLine.print(2, line)
})
const logLevelFromEnv = Config.logLevel("FAZT_LOG_LEVEL").pipe(
  Config.withDefault(LogLevel.Warning),
  Effect.orElseSucceed(() => LogLevel.Warning)
)
// Set on the program's fiber, not as layers: the two layers cost ~6 M
// instructions at every start (README "Performance").
const withStderrLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(logLevelFromEnv, (level) =>
    effect.pipe(
      Effect.locallyWith(FiberRef.currentLoggers, (loggers) => HashSet.add(HashSet.remove(loggers, Logger.defaultLogger), stderrLogger)),
      Logger.withMinimumLogLevel(level)
    ))

// @effect/cli colours its help and errors unconditionally: keep colour for a
// terminal, and give pipes, files and NO_COLOR users plain text.
// eslint-disable-next-line no-control-regex -- the escape character starts each colour code
const ANSI = /\x1b\[[0-9;]*m/g
/**
 * The CLI's console: lines straight to the descriptor (stdio.ts), above the
 * live progress line, never through it. Text goes as it is; anything else is
 * formatted as Node's console would.
 */
const cliConsole = (base: Console.Console, colour: boolean): Console.Console => {
  const line = (args: ReadonlyArray<unknown>) => {
    const text = args.every((a) => typeof a === "string") ? args.join(" ") : util.format(...args)
    return `${colour ? text : text.replace(ANSI, "")}\n`
  }
  return {
    ...base,
    log: (...a) => Effect.sync(() => liveLine.print(1, line(a))),
    error: (...a) => Effect.sync(() => liveLine.print(2, line(a)))
  }
}
const withCliConsole = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Config.option(Config.string("NO_COLOR")).pipe(Effect.orDie), (noColor) =>
    Effect.consoleWith((base) => Effect.withConsole(effect, cliConsole(base, isTerminal(1) && noColor._tag === "None"))))

// Output that could not be written is never a success (stdio.ts).
const outputLost = outputLostError
program().pipe(
  Effect.zipRight(Effect.suspend(() => outputLost() ?? Effect.void)),
  Effect.tapErrorCause((cause) => reportFailure(cause, json)),
  // Failures are reported through the same console as everything else.
  withCliConsole,
  withStderrLogs,
  Effect.provide(cliEnvironment),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => {
      ended = true
      const code = exitCodeOf(exit)
      if (code === EXIT_INTERRUPTED) return onExit(signalled ?? code)
      // One more turn of the event loop hears a signal that came during the
      // last write; a failure's exit would drop output still queued for a slow
      // reader (stdio.ts).
      setImmediate(() => afterQueuedWrites(() => onExit(code === 0 && outputLost() !== undefined ? exitCodes.OutputLost : code)))
    }
  })
)
