import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { InvalidInput } from "../../domain/errors.js"
import type { MigrateOutput } from "../../domain/json.js"
import { LegacyConfig, type LegacyImport } from "../../services/client/LegacyConfig.js"
import * as fs from "node:fs"
import { GlobalFlags } from "../globals.js"
import { emit, warn } from "../output.js"
import { describeImport, importLegacyDatabases } from "./legacy.js"

const toJson = (r: LegacyImport): typeof MigrateOutput.Type => {
  switch (r._tag) {
    case "Absent":
      return { outcome: "absent", path: r.path }
    case "Malformed":
      return { outcome: "malformed", path: r.path, reason: r.reason }
    case "Imported":
      return {
        outcome: "imported",
        path: r.path,
        renamed_to: r.renamedTo,
        imported: r.imported,
        kept: r.kept,
        skipped: r.skipped,
        default_peer: r.defaultPeer,
        rename_error: r.renameError
      }
  }
}

export const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function* () {
    yield* importLegacyDatabases
    const legacy = yield* LegacyConfig
    const result = yield* legacy.importIfPresent
    // Asked for by name, an import that could not happen is a failure, said once (exit 2).
    if (result._tag === "Malformed") return yield* new InvalidInput({ message: describeImport(result)! })
    // Skipped servers are a warning for scripts (--json); a person reads the same line once, below.
    const flags = yield* GlobalFlags
    if (flags.json && result._tag === "Imported" && result.skipped.length > 0) {
      yield* warn(describeImport(result)!)
    }
    // A second run after an import: say it was done, as the file left behind shows.
    const done = result._tag === "Absent" && fs.existsSync(`${result.path}.migrated`)
    yield* emit(toJson(result), () =>
      describeImport(result) ??
        (result._tag === "Imported"
          ? `Nothing new to import: every server of ${result.path} is already a peer`
          : done
          ? `Already done: ${result.path} was imported earlier (it is now ${result.path}.migrated)`
          : `Nothing to import: ${result.path} does not exist`))
  })).pipe(
    Command.withDescription(
      "Import the peers of the old ~/.fazt/config.json now (it also happens on the first command).\n\nExample: fazt remote migrate"
    )
  )
