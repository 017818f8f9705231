import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { Config, type Console, Effect, Layer, Logger, LogLevel } from "effect"
import { cli } from "./commands/fazt.js"
import { exitCodeOf, reportFailure } from "./commands/failure.js"
import { expandPeerShorthand, hoistGlobalFlags } from "./commands/globals.js"

const userArgs = hoistGlobalFlags(expandPeerShorthand(process.argv.slice(2)))
const end = userArgs.indexOf("--")
const json = (end === -1 ? userArgs : userArgs.slice(0, end)).includes("--json")

// Logs are messages, so they go to stderr, at FAZT_LOG_LEVEL (default: warnings).
const StderrLogger = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ date, logLevel, message }) => {
    const text = (Array.isArray(message) ? message : [message]).map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ")
    // A library warning (say, state that could not be recorded) reads like the CLI's own.
    if (logLevel._tag === "Warning") process.stderr.write(json ? `${JSON.stringify({ warning: text })}\n` : `warning: ${text}\n`)
    else process.stderr.write(`${date.toISOString()} ${logLevel.label} ${text}\n`)
  })
)
const LogLevelFromEnv = Layer.unwrapEffect(
  Config.logLevel("FAZT_LOG_LEVEL").pipe(
    Config.withDefault(LogLevel.Warning),
    Effect.orElseSucceed(() => LogLevel.Warning),
    Effect.map(Logger.minimumLogLevel)
  )
)

// @effect/cli colours its help and errors unconditionally: keep colour for a
// terminal, and give pipes, files and NO_COLOR users plain text.
const ANSI = /\x1b\[[0-9;]*m/g
const plain = (console: Console.Console): Console.Console => {
  const strip = (args: ReadonlyArray<unknown>) => args.map((a) => (typeof a === "string" ? a.replace(ANSI, "") : a))
  return { ...console, log: (...a) => console.log(...strip(a)), error: (...a) => console.error(...strip(a)) }
}
const withColourPolicy = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Config.option(Config.string("NO_COLOR")).pipe(Effect.orDie), (noColor) => {
    if (process.stdout.isTTY && noColor._tag === "None") return effect
    return Effect.consoleWith((console) => Effect.withConsole(effect, plain(console)))
  })

cli([process.argv[0]!, process.argv[1]!, ...userArgs]).pipe(
  withColourPolicy,
  Effect.tapErrorCause((cause) => reportFailure(cause, json)),
  // What @effect/cli and multipart uploads need, and nothing more (no child processes, no workers).
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, StderrLogger, LogLevelFromEnv)),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => onExit(exitCodeOf(exit))
  })
)
