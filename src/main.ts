import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import { Effect, Layer } from "effect"
import { cli } from "./commands/fazt.js"
import { exitCodeOf, reportFailure } from "./commands/failure.js"
import { hoistGlobalFlags } from "./commands/globals.js"

const userArgs = hoistGlobalFlags(process.argv.slice(2))
const end = userArgs.indexOf("--")
const json = (end === -1 ? userArgs : userArgs.slice(0, end)).includes("--json")

cli([process.argv[0]!, process.argv[1]!, ...userArgs]).pipe(
  Effect.tapErrorCause((cause) => reportFailure(cause, json)),
  // What @effect/cli and multipart uploads need, and nothing more (no child processes, no workers).
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(exitCodeOf(exit))
  })
)
