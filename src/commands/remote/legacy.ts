import * as Effect from "effect/Effect"
import { LegacyConfig, type LegacyImport } from "../../services/client/LegacyConfig.js"
import { escapeControl, inform, warn } from "../output.js"

/** One line per import, every entry accounted for: imported, kept or skipped (why). */
export const describeImport = (result: LegacyImport): string | null => {
  switch (result._tag) {
    case "Absent":
      return null
    case "Malformed":
      return escapeControl(`${result.path} was not imported: ${result.reason}; it was left as it is`)
    case "Imported": {
      const parts = [`Imported ${result.imported.length} peer(s) from ${result.path}`]
      if (result.imported.length > 0) parts[0] += ` (${result.imported.join(", ")})`
      if (result.kept.length > 0) parts.push(`kept the existing ${result.kept.join(", ")}`)
      for (const s of result.skipped) parts.push(`skipped '${s.name}': ${s.reason}`)
      if (result.defaultPeer !== null) parts.push(`default: ${result.defaultPeer}`)
      parts.push(
        result.renamedTo !== null
          ? `the old file is now ${result.renamedTo}`
          : `could not rename the old file (${result.renameError})`
      )
      return escapeControl(parts.join("; "))
    }
  }
}

/** Runs before every `fazt remote` command: the one-time import of the old config. */
export const importLegacyConfig = Effect.gen(function* () {
  const legacy = yield* LegacyConfig
  const result = yield* legacy.importIfPresent
  const text = describeImport(result)
  if (text === null) return
  const skippedSome = result._tag === "Imported" && result.skipped.length > 0
  yield* result._tag === "Malformed" || skippedSome ? warn(text) : inform(text)
})
