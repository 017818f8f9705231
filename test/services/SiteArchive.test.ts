import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SiteArchive } from "../../src/services/client/SiteArchive.js"
import * as SiteArchiveZip from "../../src/services/client/SiteArchiveZip.js"
import { compressionMethods, readZip } from "../support/zip.js"

const write = (root: string, rel: string, content: string | Buffer) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  fs.writeFileSync(path.join(root, rel), content)
}

/** The awkward folder of issue 4: everything a real project folder holds. */
const awkwardFolder = () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-site-"))
  const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) % 251))
  const shipped: Record<string, string | Buffer> = {
    "index.html": "<h1>home</h1>",
    "about/index.html": "<h1>about</h1>",
    "assets/deep/er/still/app.js": "console.log(1)",
    "assets/logo.png": binary,
    "docs/build/keep.txt": "only the top-level build/ is anchored",
    "notes.txt": "plain",
    "data/ünïcode name.txt": "unicode and spaces"
  }
  for (const [rel, content] of Object.entries(shipped)) write(root, rel, content)
  const skipped: Record<string, string> = {
    ".env": "SECRET=1",
    ".hidden/file.txt": "hidden folder",
    "assets/.DS_Store": "mac",
    ".git/config": "[core]",
    "node_modules/lib/index.js": "module",
    "sub/node_modules/x.js": "nested module",
    "debug.log": "log",
    "logs/today.log": "log",
    "build/out.js": "anchored ignore",
    "cache/tmp.bin": "folder ignore",
    "secret.key": "pattern ignore"
  }
  for (const [rel, content] of Object.entries(skipped)) write(root, rel, content)
  write(root, ".gitignore", "/build\ncache/\n*.key\n")
  fs.symlinkSync("/etc", path.join(root, "etc-link"))
  fs.symlinkSync("/etc/hostname", path.join(root, "hostname-link"))
  fs.symlinkSync(root, path.join(root, "assets", "loop"))
  fs.symlinkSync("a-loop", path.join(root, "b-loop"))
  fs.symlinkSync("b-loop", path.join(root, "a-loop"))
  fs.symlinkSync("notes.txt", path.join(root, "notes-link.txt"))
  execFileSync("mkfifo", [path.join(root, "pipe")])
  shipped["notes-link.txt"] = "plain"
  return { root, shipped }
}

const zipToFile = (listing: Parameters<SiteArchive.Service["zip"]>[0]) =>
  Effect.gen(function* () {
    const archive = yield* SiteArchive
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fazt-zip-")), "site.zip")
    const out = fs.createWriteStream(file)
    yield* Stream.runForEach(archive.zip(listing), (chunk) => Effect.sync(() => out.write(chunk)))
    yield* Effect.promise(() => new Promise<void>((resolve) => out.end(resolve)))
    return file
  })

describe("SiteArchive", () => {
  it.live("ships exactly the expected files, byte-identical, without hanging", () =>
    Effect.gen(function* () {
      const { root, shipped } = awkwardFolder()
      const archive = yield* SiteArchive
      const listing = yield* archive.scan(root)
      expect(listing.files.map((f) => f.path).sort()).toEqual(Object.keys(shipped).sort())
      const zip = yield* zipToFile(listing)
      const entries = yield* Effect.promise(() => readZip(zip))
      expect([...entries.keys()].sort()).toEqual(Object.keys(shipped).sort())
      for (const [rel, content] of Object.entries(shipped)) {
        expect(entries.get(rel)!.equals(Buffer.isBuffer(content) ? content : Buffer.from(content))).toBe(true)
      }
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("streams large files in pieces, deflated or stored, byte-identical", () =>
    Effect.gen(function* () {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-site-"))
      const text = Buffer.from("fazt deploys static sites to its peers. ".repeat(120_000))
      const random = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, () => Math.floor(Math.random() * 256)))
      const files: Record<string, Buffer> = {
        "big.txt": text,
        "random.bin": random,
        "photo.jpg": random.subarray(0, 300_000),
        "exactly-chunk.txt": text.subarray(0, 1024 * 1024),
        "small.txt": Buffer.from("small")
      }
      for (const [rel, content] of Object.entries(files)) write(root, rel, content)
      const listing = yield* (yield* SiteArchive).scan(root)
      const zip = yield* zipToFile(listing)
      expect(fs.statSync(zip).size).toBeLessThan(text.length / 10 + random.length + 400_000)
      const entries = yield* Effect.promise(() => readZip(zip))
      expect([...entries.keys()].sort()).toEqual(Object.keys(files).sort())
      for (const [rel, content] of Object.entries(files)) expect(entries.get(rel)!.equals(content)).toBe(true)
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("--compression: every level gives the same files back at the piece boundaries; store deflates nothing, best the smallest (issue 26)", () =>
    Effect.gen(function* () {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-site-"))
      const text = Buffer.from("fazt deploys static sites to its peers, level by level. ".repeat(80_000))
      const MiB = 1024 * 1024
      const files: Record<string, Buffer> = {
        "one-mib.txt": text.subarray(0, MiB),
        "one-mib-and-one.txt": text.subarray(0, MiB + 1),
        "one-mib-less-one.txt": text.subarray(0, MiB - 1),
        "two-mib.txt": text.subarray(0, 2 * MiB),
        "small.txt": text.subarray(0, 5000)
      }
      for (const [rel, content] of Object.entries(files)) write(root, rel, content)
      const archive = yield* SiteArchive
      const listing = yield* archive.scan(root)
      const sizes: Record<string, number> = {}
      for (const compression of ["store", "fast", 3, "best"] as const) {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fazt-zip-")), "site.zip")
        const out = fs.createWriteStream(file)
        yield* Stream.runForEach(archive.zip(listing, { compression }), (chunk) => Effect.sync(() => out.write(chunk)))
        yield* Effect.promise(() => new Promise<void>((resolve) => out.end(resolve)))
        const entries = yield* Effect.promise(() => readZip(file))
        for (const [rel, content] of Object.entries(files)) expect({ compression, rel, same: entries.get(rel)?.equals(content) }).toEqual({ compression, rel, same: true })
        const methods = yield* Effect.promise(() => compressionMethods(file))
        expect(Object.values(methods).every((m) => m === (compression === "store" ? 0 : 8))).toBe(true)
        sizes[String(compression)] = fs.statSync(file).size
      }
      expect(sizes["store"]!).toBeGreaterThan(sizes["fast"]!)
      expect(sizes["best"]!).toBeLessThanOrEqual(sizes["3"]!)
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("stores random-looking and already-compressed files, deflates text", () =>
    Effect.gen(function* () {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-site-"))
      const noise = Buffer.from(Array.from({ length: 40_000 }, () => Math.floor(Math.random() * 256)))
      write(root, "noise.dat", noise)
      write(root, "big-noise.dat", Buffer.concat(Array.from({ length: 20 }, () => noise)))
      write(root, "page.html", "<p>hello fazt</p>\n".repeat(3000))
      write(root, "photo.png", "not really a png, but named like one ".repeat(200))
      const listing = yield* (yield* SiteArchive).scan(root)
      const zip = yield* zipToFile(listing)
      const methods = yield* Effect.promise(() => compressionMethods(zip))
      expect(methods).toEqual({ "big-noise.dat": 0, "noise.dat": 0, "page.html": 8, "photo.png": 0 })
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("reads manifest.json's spa flag and survives 30 levels of nesting", () =>
    Effect.gen(function* () {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-site-"))
      write(root, "manifest.json", JSON.stringify({ name: "x", spa: true }))
      const deep = Array.from({ length: 30 }, (_, i) => `d${i}`).join("/")
      write(root, `${deep}/leaf.txt`, "deep")
      const listing = yield* (yield* SiteArchive).scan(root)
      expect(listing.spa).toBe(true)
      expect(listing.files.map((f) => f.path)).toContain(`${deep}/leaf.txt`)
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("a file that vanishes before it is read fails the zip instead of shipping less", () =>
    Effect.gen(function* () {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-site-"))
      write(root, "a.txt", "a")
      write(root, "b.txt", "b")
      const archive = yield* SiteArchive
      const listing = yield* archive.scan(root)
      fs.rmSync(path.join(root, "b.txt"))
      const error = yield* Effect.flip(Stream.runDrain(archive.zip(listing)))
      expect(error._tag).toBe("UnzippableFile")
      expect(error.message).toContain("b.txt")
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("a missing folder or a file instead of a folder is bad input", () =>
    Effect.gen(function* () {
      const archive = yield* SiteArchive
      expect((yield* Effect.flip(archive.scan("/nonexistent/site"))).message).toContain("does not exist")
      expect((yield* Effect.flip(archive.scan("/etc/hostname"))).message).toContain("not a folder")
    }).pipe(Effect.provide(SiteArchiveZip.layer)))
})
