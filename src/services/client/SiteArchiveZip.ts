import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import ignore, { type Ignore } from "ignore"
import * as fs from "node:fs"
import * as path from "node:path"
import { describeErrno, errnoCode } from "../../domain/errno.js"
import { InvalidFolder } from "../../domain/errors.js"
import type { ScanOptions, SiteFileEntry, SiteListing } from "../../domain/SiteListing.js"
import { SiteArchive } from "./SiteArchive.js"
import { zipStream } from "../zip/zipWriter.js"

const isInside = (root: string, candidate: string) =>
  candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep)

const readGitignore = (root: string): Ignore => {
  const rules = ignore()
  try {
    rules.add(fs.readFileSync(path.join(root, ".gitignore"), "utf8"))
  } catch {
    // No .gitignore (or unreadable): nothing beyond the fixed rules.
  }
  return rules
}

const readSpa = (root: string): boolean => {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, "manifest.json"), "utf8")) as unknown
    return typeof manifest === "object" && manifest !== null && (manifest as { spa?: unknown }).spa === true
  } catch {
    return false
  }
}

/** The files of the folder `root` (already known to be one) as fazt's client would ship them. */
const scanSync = (root: string, options: ScanOptions = {}): SiteListing => {
  const rootReal = fs.realpathSync(root)
  const rules = readGitignore(root)
  // A gitignored private/ ships only when asked, and then whole (fazt's createDeployZipWithOptions).
  const privateIgnored = rules.ignores("private/")
  let privateLeftOut = false
  const exempt = (relPath: string) =>
    options.includePrivate === true && privateIgnored && (relPath === "private" || relPath.startsWith("private/"))
  const source = options.sourceRules === undefined ? undefined : { rules: ignore().add(options.sourceRules.text), prefix: options.sourceRules.prefix }
  const ignored = (relPath: string) =>
    (!exempt(relPath) && rules.ignores(relPath)) ||
    (source !== undefined && (source.rules.ignores(relPath) || source.rules.ignores(`${source.prefix}/${relPath}`)))
  const files: Array<SiteFileEntry> = []
  const visited = new Set<string>([rootReal])

  const walk = (abs: string, rel: string) => {
    const entries = fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const name = entry.name
      // fazt's client (cmd/server/main.go, createDeployZipWithOptions) skips these names as files and as folders alike.
      if (name.startsWith(".") || name === "node_modules" || name.endsWith(".log")) continue
      const relPath = rel === "" ? name : `${rel}/${name}`
      const absPath = path.join(abs, name)
      let source = absPath
      let stat: fs.Stats
      try {
        if (entry.isSymbolicLink()) {
          source = fs.realpathSync(absPath) // throws on loops and dangling links
          if (!isInside(rootReal, source)) continue
        }
        stat = entry.isSymbolicLink() ? fs.statSync(source) : fs.lstatSync(absPath)
      } catch {
        continue
      }
      if (stat.isDirectory()) {
        if (ignored(`${relPath}/`)) {
          if (relPath === "private" && privateIgnored) privateLeftOut = true
          continue
        }
        const real = entry.isSymbolicLink() ? source : fs.realpathSync(absPath)
        if (visited.has(real)) continue
        visited.add(real)
        walk(absPath, relPath)
      } else if (stat.isFile()) {
        if (ignored(relPath)) continue
        files.push({ path: relPath, source, size: stat.size, mtimeMs: stat.mtimeMs })
      }
      // FIFOs, sockets and devices are never opened.
    }
  }
  walk(root, "")
  return { root, files, totalBytes: files.reduce((n, f) => n + f.size, 0), spa: readSpa(root), privateLeftOut }
}

const folderError = (dir: string, e: unknown): InvalidFolder => {
  const code = errnoCode(e)
  if (code === "ENOENT") return new InvalidFolder({ folder: dir, problem: "missing" })
  if (code === "ENOTDIR") return new InvalidFolder({ folder: dir, problem: "not-a-folder" })
  return new InvalidFolder({ folder: dir, problem: "unreadable", reason: describeErrno(e) })
}

export const make: SiteArchive.Service = {
  scan: (dir, options) =>
    Effect.gen(function* () {
      const root = path.resolve(dir)
      const stat = yield* Effect.try({ try: () => fs.statSync(root), catch: (e) => folderError(dir, e) })
      if (!stat.isDirectory()) return yield* new InvalidFolder({ folder: dir, problem: "not-a-folder" })
      return yield* Effect.try({ try: () => scanSync(root, options), catch: (e) => folderError(dir, e) })
    }),
  zip: (listing, options) => zipStream(listing, options)
}

/** The scanner and the streaming zip writer (and the `ignore` matcher they bring). */
export const layer: Layer.Layer<SiteArchive> = Layer.succeed(SiteArchive, make)
