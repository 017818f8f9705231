// The floor of any CLI on @effect/cli here: one command, the same Node layers
// as fazt (file system, path, terminal, runtime), deep imports, and nothing
// else. `npm run bench` bundles it exactly as fazt is bundled and times
// `floor --version` beside `fazt --version`.
import * as Command from "@effect/cli/Command"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const floor = Command.make("floor", {}, () => Console.log("floor"))

Command.run(floor, { name: "floor", version: "1.0.0" })(process.argv).pipe(
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)),
  NodeRuntime.runMain
)
