// Rewrites barrel imports of effect and @effect/* into one deep import per
// module: `import { Effect, type Option } from "effect"` becomes
// `import * as Effect from "effect/Effect"` and `import type * as Option
// from "effect/Option"`. A barrel import makes esbuild build the whole
// namespace object of every module named (all of Effect, Schema, Stream …,
// with a getter per export) and so keeps all of it in the bundle and runs its
// top level at start-up; a deep namespace import used as `Effect.map` lets it
// keep and run only what is used. (measured in README "Performance").
//
//   node scripts/deep-imports.mjs           rewrite src/ in place
//   node scripts/deep-imports.mjs --check   list files that still use a barrel, exit 1 if any
//
// scripts/build.mjs applies the same rewrite while bundling, so a barrel
// import written later cannot slow the CLI down; this script keeps the source
// in the same style for programs that bundle the library themselves.
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const barrels = new Set(["effect", "@effect/cli", "@effect/platform", "@effect/platform-node", "@effect/sql", "@effect/sql-sqlite-node"])
// Re-exported from effect/Function by the effect barrel, not modules of their own.
const functionExports = new Set(["absurd", "flow", "hole", "identity", "pipe", "unsafeCoerce"])

const importFromBarrel = /^import\s+(type\s+)?\{([^}]*)\}\s+from\s+["']([^"']+)["'];?[ \t]*$/gm

/** The source with every barrel import of effect and @effect/* made deep. */
export const deepImports = (code) =>
  code.replace(importFromBarrel, (whole, typeOnly, names, from) => {
    if (!barrels.has(from)) return whole
    const lines = []
    const functions = []
    for (const raw of names.split(",").map((n) => n.trim()).filter(Boolean)) {
      const isType = typeOnly !== undefined || raw.startsWith("type ")
      const [name, local = name] = raw.replace(/^type\s+/, "").split(/\s+as\s+/)
      if (from === "effect" && functionExports.has(name)) {
        functions.push(`${isType ? "type " : ""}${name === local ? name : `${name} as ${local}`}`)
        continue
      }
      lines.push(`import ${isType ? "type " : ""}* as ${local} from "${from}/${name}"`)
    }
    if (functions.length > 0) lines.push(`import { ${functions.join(", ")} } from "effect/Function"`)
    return lines.join("\n")
  })

const sourceFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) ? [path] : []
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes("--check")
  const changed = []
  for (const file of sourceFiles("src")) {
    const code = readFileSync(file, "utf8")
    const rewritten = deepImports(code)
    if (rewritten === code) continue
    changed.push(file)
    if (!check) writeFileSync(file, rewritten)
  }
  for (const file of changed) console.log(check ? `barrel import: ${file}` : `rewrote ${file}`)
  if (check && changed.length > 0) process.exit(1)
}
