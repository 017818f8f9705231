import { Command } from "@effect/cli"
import { Effect } from "effect"
import { LegacyConfig } from "../../services/LegacyConfig.js"
import { emit, warn } from "../output.js"
import { describeImport } from "./legacy.js"

export const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function* () {
    const legacy = yield* LegacyConfig
    const result = yield* legacy.importIfPresent
    if (result._tag === "Malformed") yield* warn(describeImport(result)!)
    yield* emit(result, (r) => describeImport(r) ?? `Nothing to import: ${r.path} does not exist`)
  })).pipe(
    Command.withDescription(
      "Import the peers of the old ~/.fazt/config.json now (it also happens on the first command).\n\nExample: fazt remote migrate"
    )
  )
