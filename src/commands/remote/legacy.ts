import * as Effect from "effect/Effect"
import { LegacyConfig, type LegacyImport } from "../../services/client/LegacyConfig.js"
import { LegacyDatabase, type LegacyDatabaseImport } from "../../services/client/LegacyDatabase.js"
import { Database } from "../../services/db/Database.js"
import { escapeControl, inform, warn } from "../output.js"

/** One line per import, every entry accounted for: imported, kept or skipped (why). */
export const describeImport = (result: LegacyImport): string | null => {
  switch (result._tag) {
    case "Absent":
      return null
    case "Malformed":
      return escapeControl(`${result.path} was not imported: ${result.reason}; it was left as it is`)
    case "Imported": {
      // Every server already a peer: fazt leaves such a file alone, and so do we, silently.
      if (result.imported.length === 0 && result.skipped.length === 0) return null
      const parts = [`Imported ${result.imported.length} peer(s) from ${result.path}`]
      if (result.imported.length > 0) parts[0] += ` (${result.imported.join(", ")})`
      if (result.kept.length > 0) parts.push(`kept the existing ${result.kept.join(", ")}`)
      for (const s of result.skipped) parts.push(`skipped '${s.name}': ${s.reason}`)
      if (result.defaultPeer !== null) parts.push(`default: ${result.defaultPeer}`)
      parts.push(
        result.renamedTo !== null
          ? `the old file is now ${result.renamedTo}`
          : result.renameError !== null
          ? `could not rename the old file (${result.renameError})`
          : "nothing new was imported, so the old file stays"
      )
      return escapeControl(parts.join("; "))
    }
  }
}

/** One line for an old database brought over, or null when there was nothing to say. */
export const describeDatabaseImport = (result: LegacyDatabaseImport, inUse: string): string | null => {
  switch (result._tag) {
    case "Absent":
      return null
    case "Unreadable":
      return escapeControl(
        `the peers of ${result.path} (the database fazt remote used before ${inUse}) were not brought over: ${result.reason}; it was left as it is`
      )
    case "Imported": {
      // Nothing new and nothing moved: said when it happened, not on every run.
      if (result.imported.length === 0 && result.renamedTo === null) return null
      const parts = [
        result.imported.length === 0 && result.kept.length === 0
          ? `${result.path} held no peers`
          : `Brought ${result.imported.length} peer(s) over from ${result.path} into ${inUse}, the database fazt v0.29 uses too` +
            (result.imported.length > 0 ? ` (${result.imported.join(", ")})` : "")
      ]
      if (result.kept.length > 0) parts.push(`kept the existing ${result.kept.join(", ")}`)
      if (result.defaultPeer !== null && result.imported.length > 0) parts.push(`default: ${result.defaultPeer}`)
      parts.push(result.renamedTo !== null ? `the old file is now ${result.renamedTo}` : `the old file stays: ${result.stayedBecause}`)
      return escapeControl(parts.join("; "))
    }
  }
}

/** The peers of the database fazt remote used before, brought over once, each said in one line. */
export const importLegacyDatabases = Effect.gen(function* () {
  const database = yield* Database
  const old = yield* LegacyDatabase
  for (const brought of yield* old.importIfPresent) {
    const line = describeDatabaseImport(brought, database.path)
    if (line !== null) yield* brought._tag === "Unreadable" ? warn(line) : inform(line)
  }
})

/**
 * Runs before every `fazt remote` command: the one-time imports of fazt's old
 * config file and of the database fazt remote used before, in fazt's order
 * (`cmd/server/main.go` `getClientDB`).
 */
export const importLegacyConfig = Effect.gen(function* () {
  const legacy = yield* LegacyConfig
  const result = yield* legacy.importIfPresent
  const text = describeImport(result)
  if (text !== null) {
    const skippedSome = result._tag === "Imported" && result.skipped.length > 0
    yield* result._tag === "Malformed" || skippedSome ? warn(text) : inform(text)
  }
  yield* importLegacyDatabases
})
