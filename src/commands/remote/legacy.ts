import { Effect } from "effect"
import { LegacyConfig, type LegacyImport } from "../../services/LegacyConfig.js"
import { inform, warn } from "../output.js"

export const describeImport = (result: LegacyImport): string | null => {
  switch (result._tag) {
    case "Absent":
      return null
    case "Malformed":
      return `${result.path} was not imported: ${result.reason}; it was left as it is`
    case "Imported": {
      const parts = [`Imported ${result.imported.length} peer(s) from ${result.path}`]
      if (result.imported.length > 0) parts[0] += ` (${result.imported.join(", ")})`
      if (result.kept.length > 0) parts.push(`kept the existing ${result.kept.join(", ")}`)
      if (result.defaultPeer !== null) parts.push(`default: ${result.defaultPeer}`)
      parts.push(
        result.renamedTo !== null
          ? `the old file is now ${result.renamedTo}`
          : `could not rename the old file (${result.renameError})`
      )
      return parts.join("; ")
    }
  }
}

/** Runs before every `fazt remote` command: the one-time import of the old config. */
export const importLegacyConfig = Effect.gen(function* () {
  const legacy = yield* LegacyConfig
  const result = yield* legacy.importIfPresent
  const text = describeImport(result)
  if (text === null) return
  yield* result._tag === "Malformed" ? warn(text) : inform(text)
})
