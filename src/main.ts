import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { cli } from "./commands/fazt.js"
import { exitCodeOf, reportFailure } from "./commands/failure.js"
import { hoistGlobalFlags } from "./commands/globals.js"

const userArgs = hoistGlobalFlags(process.argv.slice(2))
const end = userArgs.indexOf("--")
const json = (end === -1 ? userArgs : userArgs.slice(0, end)).includes("--json")

cli([process.argv[0]!, process.argv[1]!, ...userArgs]).pipe(
  Effect.tapErrorCause((cause) => reportFailure(cause, json)),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) => onExit(exitCodeOf(exit))
  })
)
