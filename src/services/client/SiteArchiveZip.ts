import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import ignore, { type Ignore } from "ignore"
import * as fs from "node:fs"
import * as path from "node:path"
import { describeErrno, errnoCode } from "../../domain/errno.js"
import { InvalidFolder } from "../../domain/errors.js"
import { vetEntryPath } from "../../domain/node.js"
import type { ScanOptions, SiteFileEntry, SiteListing } from "../../domain/SiteListing.js"
import { SiteArchive } from "./SiteArchive.js"
import { zipStream } from "../zip/zipWriter.js"

const isInside = (root: string, candidate: string) =>
  candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep)

/** A small text file (an ignore file, manifest.json), never blocking on a FIFO and never past 1 MiB; "" when absent or not a file. */
const readRuleFile = (file: string): string => {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0))
  } catch {
    return ""
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) return ""
    const buffer = Buffer.alloc(Math.min(st.size, 1024 * 1024))
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0)
    return buffer.subarray(0, n).toString("utf8")
  } catch {
    return ""
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * One folder's `.gitignore` and then its `.faztignore` (same syntax, for what
 * git keeps but the site must not ship), or undefined when it has neither.
 */
const readIgnoreFiles = (dir: string): Ignore | undefined => {
  const text = [".gitignore", ".faztignore"].map((f) => readRuleFile(path.join(dir, f))).join("\n")
  return text.trim() === "" ? undefined : ignore().add(text)
}

/** The ignore files of a folder and its parents, outermost first; `base` is the folder's path in the site. */
type IgnoreLevels = ReadonlyArray<{ readonly base: string; readonly rules: Ignore }>

/** As git decides: every level from the top down, a deeper rule (or `!rule`) overriding a shallower one. */
const isIgnored = (levels: IgnoreLevels, relPath: string, isDir: boolean): boolean => {
  let ignored = false
  for (const { base, rules } of levels) {
    const sub = base === "" ? relPath : relPath.slice(base.length + 1)
    const verdict = rules.test(isDir ? `${sub}/` : sub)
    if (verdict.ignored) ignored = true
    else if (verdict.unignored) ignored = false
  }
  return ignored
}

/**
 * Names that are private keys, certificates, credentials, database dumps or
 * editor backups far more often than pages: left out unless the caller asks
 * (`--include-sensitive`), with one line saying so. (`.env`, `.npmrc`,
 * `.ssh/` are hidden, so never shipped anyway.)
 */
export const SENSITIVE_NAMES: ReadonlyArray<string> = [
  "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*.key", "*.pem", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx",
  "credentials", "credentials.json", "client_secret*.json", "*.sql", "*.sql.gz", "*.dump", "*.bak", "*.backup", "*~", "#*#"
]
const sensitive = ignore().add([...SENSITIVE_NAMES])

/** A name as bytes that are not UTF-8: shown with `\xNN` for each byte outside printable ASCII. */
const showBytes = (name: Buffer) =>
  Array.from(name, (b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("")

/** The entries of a folder whose names are not valid UTF-8 (a zip name and the node need UTF-8), shown escaped. */
const nonUtf8Names = (dir: string): Array<string> =>
  (fs.readdirSync(dir, { encoding: "buffer" }) as Array<Buffer>)
    .filter((b) => !Buffer.from(b.toString("utf8"), "utf8").equals(b))
    .map(showBytes)

/**
 * Why a node would not take this path as it is, or undefined, by the node's
 * own verdict (`vetEntryPath`, src/domain/node.ts): a control character makes
 * it refuse the whole upload; a backslash makes fazt drop the file without a
 * word (internal/hosting/deploy.go), so the site would lack it. Either is
 * refused here, before anything is sent.
 */
const refusedNameProblem = (relPath: string): string | undefined => {
  const verdict = vetEntryPath(relPath)
  if (verdict._tag === "Keep" && verdict.path === relPath) return undefined
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(relPath)) return "its name holds a control character, which a node refuses"
  if (relPath.includes("\\")) return "its name holds a backslash: a node drops such a file (fazt skips it)"
  return "a node would not store it under this name"
}

/** A subfolder that cannot be read: reported by its own path, not as the top folder. */
class SubfolderUnreadable {
  constructor(readonly relPath: string, readonly cause: unknown) {}
}

const readSpa = (root: string): boolean => {
  try {
    // Never a blocking open: a FIFO named manifest.json would hang the deploy, deaf to Ctrl-C.
    const manifest = JSON.parse(readRuleFile(path.join(root, "manifest.json"))) as unknown
    return typeof manifest === "object" && manifest !== null && (manifest as { spa?: unknown }).spa === true
  } catch {
    return false
  }
}

/** The files of the folder `root` (already known to be one) as fazt's client would ship them. */
const scanSync = (root: string, options: ScanOptions = {}): SiteListing => {
  const rootReal = fs.realpathSync(root)
  // A gitignored private/ ships only when asked, and then whole (fazt's createDeployZipWithOptions).
  const privateIgnored = readIgnoreFiles(root)?.ignores("private/") ?? false
  let privateLeftOut = false
  const exempt = (relPath: string) =>
    options.includePrivate === true && privateIgnored && (relPath === "private" || relPath.startsWith("private/"))
  // A build output's source folder's .faztignore (see ScanOptions.sourceRules).
  const source = options.sourceRules === undefined ? undefined : { rules: ignore().add(options.sourceRules.text), prefix: options.sourceRules.prefix }
  const ignored = (levels: IgnoreLevels, relPath: string, isDir: boolean) => {
    const sub = isDir ? `${relPath}/` : relPath
    return (!exempt(relPath) && isIgnored(levels, relPath, isDir)) ||
      (source !== undefined && (source.rules.ignores(sub) || source.rules.ignores(`${source.prefix}/${sub}`)))
  }
  const files: Array<SiteFileEntry> = []
  const leftOut: Array<string> = []
  const refused: Array<{ readonly path: string; readonly reason: string }> = []
  const visited = new Set<string>([rootReal])

  const walk = (abs: string, rel: string, parentLevels: IgnoreLevels) => {
    const own = readIgnoreFiles(abs)
    const levels = own === undefined ? parentLevels : [...parentLevels, { base: rel, rules: own }]
    let entries: Array<fs.Dirent>
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    } catch (e) {
      if (rel === "") throw e
      throw new SubfolderUnreadable(rel, e)
    }
    // readdir turns bytes that are not UTF-8 into U+FFFD: such a name cannot be opened as read, nor stored by a node.
    if (entries.some((entry) => entry.name.includes("\uFFFD"))) {
      for (const shown of nonUtf8Names(abs)) {
        if (shown.startsWith(".")) continue
        refused.push({ path: rel === "" ? shown : `${rel}/${shown}`, reason: "its name is not valid UTF-8" })
      }
    }
    for (const entry of entries) {
      const name = entry.name
      // fazt's client (cmd/server/main.go, createDeployZipWithOptions) skips these names as files and as folders alike;
      // `.well-known/` (RFC 8615: ACME challenges, security.txt) ships though hidden.
      if ((name.startsWith(".") && !(rel === "" && name === ".well-known")) || name === "node_modules" || name.endsWith(".log")) continue
      if (name.includes("\uFFFD") && !fs.existsSync(path.join(abs, name))) continue
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
        if (ignored(levels, relPath, true)) {
          if (relPath === "private" && privateIgnored) privateLeftOut = true
          continue
        }
        const real = entry.isSymbolicLink() ? source : fs.realpathSync(absPath)
        if (visited.has(real)) continue
        visited.add(real)
        const badName = refusedNameProblem(relPath)
        if (badName !== undefined) {
          refused.push({ path: relPath, reason: badName })
          continue
        }
        walk(absPath, relPath, levels)
      } else if (stat.isFile()) {
        if (ignored(levels, relPath, false)) continue
        if (options.includeSensitive !== true && sensitive.ignores(relPath)) {
          leftOut.push(relPath)
          continue
        }
        const badName = refusedNameProblem(relPath)
        if (badName !== undefined) {
          refused.push({ path: relPath, reason: badName })
          continue
        }
        files.push({ path: relPath, source, size: stat.size, mtimeMs: stat.mtimeMs, dev: stat.dev, ino: stat.ino })
      }
      // FIFOs, sockets and devices are never opened.
    }
  }
  walk(root, "", [])
  return { root, files, totalBytes: files.reduce((n, f) => n + f.size, 0), spa: readSpa(root), leftOut, refused, privateLeftOut }
}

const folderError = (dir: string, e: unknown): InvalidFolder => {
  if (e instanceof SubfolderUnreadable) {
    return new InvalidFolder({ folder: path.join(dir, e.relPath), problem: "unreadable", reason: describeErrno(e.cause) })
  }
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
