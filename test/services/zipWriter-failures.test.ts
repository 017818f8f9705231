import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { zipStream } from "../../src/services/zip/zipWriter.js"
import { SiteArchive } from "../../src/services/client/SiteArchive.js"
import * as SiteArchiveZip from "../../src/services/client/SiteArchiveZip.js"
import { readZip } from "../support/zip.js"

// Every way a file can go wrong between listing and zipping ends in a typed
// failure naming it (exit 2 through the CLI), never a defect (exit 1).

const folder = (files: Record<string, string | Buffer>) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-zipfail-"))
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    fs.writeFileSync(path.join(root, rel), content)
  }
  return root
}

const zipBytes = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Buffer.concat(Array.from(chunks)))

/** The DOS date of the only entry of a one-file zip (its local header starts the file). */
const dosDateOfFirst = (zip: Buffer) => {
  const date = zip.readUInt16LE(12)
  return { year: 1980 + (date >> 9), month: (date >> 5) & 0xf, day: date & 0x1f }
}

describe("zip writer failures", () => {
  it.live("a file dated past 2107 (a clock gone wrong) ships with the last date a zip holds, not a crash", () =>
    Effect.gen(function* () {
      const root = folder({ "index.html": "<h1>from the future</h1>" })
      fs.utimesSync(path.join(root, "index.html"), new Date("2200-06-01T12:00:00Z"), new Date("2200-06-01T12:00:00Z"))
      const listing = yield* (yield* SiteArchive).scan(root)
      const zip = yield* zipBytes(zipStream(listing))
      expect(dosDateOfFirst(zip)).toEqual({ year: 2107, month: 12, day: 31 })
      const file = path.join(root, "..", `${path.basename(root)}.zip`)
      fs.writeFileSync(file, zip)
      const entries = yield* Effect.promise(() => readZip(file))
      expect(entries.get("index.html")?.toString()).toBe("<h1>from the future</h1>")
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("a file dated before 1980 ships dated 1980-01-01", () =>
    Effect.gen(function* () {
      const root = folder({ "old.txt": "old" })
      fs.utimesSync(path.join(root, "old.txt"), new Date(0), new Date(0))
      const listing = yield* (yield* SiteArchive).scan(root)
      expect(dosDateOfFirst(yield* zipBytes(zipStream(listing)))).toEqual({ year: 1980, month: 1, day: 1 })
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("a small file that grew past the batch limit since it was listed fails typed, naming it", () =>
    Effect.gen(function* () {
      const root = folder({ "a.txt": "a", "grows.txt": "small at first" })
      const listing = yield* (yield* SiteArchive).scan(root)
      fs.writeFileSync(path.join(root, "grows.txt"), Buffer.alloc(300 * 1024, 0x61))
      const error = yield* Effect.flip(Stream.runDrain(zipStream(listing)))
      expect(error.message).toContain("grows.txt")
      expect(error.message).toContain("grew")
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("a small file and a large file that became folders fail typed, naming them", () =>
    Effect.gen(function* () {
      for (const [name, content] of [["small.txt", "small"], ["large.bin", Buffer.alloc(2 * 1024 * 1024, 7)]] as const) {
        const root = folder({ "index.html": "<h1>x</h1>", [name]: content })
        const listing = yield* (yield* SiteArchive).scan(root)
        fs.rmSync(path.join(root, name))
        fs.mkdirSync(path.join(root, name))
        const error = yield* Effect.flip(Stream.runDrain(zipStream(listing)))
        expect(error.message).toContain(name)
      }
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("a large file truncated while it is being read fails typed ('file changed as we read it'), never a short entry", () =>
    Effect.gen(function* () {
      const root = folder({ "big.bin": Buffer.alloc(20 * 1024 * 1024, 0x61) })
      const listing = yield* (yield* SiteArchive).scan(root)
      let pulled = 0
      const error = yield* Effect.flip(Stream.runDrain(zipStream(listing).pipe(
        Stream.tap(() => Effect.sync(() => {
          if (++pulled === 2) fs.truncateSync(path.join(root, "big.bin"), 1024 * 1024)
        }))
      )))
      expect(error).toMatchObject({ file: "big.bin", problem: "truncated" })
      expect(error.message).toContain("cannot zip big.bin: file changed as we read it")
    }).pipe(Effect.provide(SiteArchiveZip.layer)))

  it.live("a large file that grows while it is being read fails typed, naming it", () =>
    Effect.gen(function* () {
      const root = folder({ "big.bin": Buffer.alloc(3 * 1024 * 1024, 0x61) })
      const listing = yield* (yield* SiteArchive).scan(root)
      let pulled = 0
      const error = yield* Effect.flip(Stream.runDrain(zipStream(listing).pipe(
        Stream.tap(() => Effect.sync(() => {
          if (++pulled === 2) fs.appendFileSync(path.join(root, "big.bin"), Buffer.alloc(5 * 1024 * 1024, 0x62))
        }))
      )))
      expect(error).toMatchObject({ file: "big.bin", problem: "grew" })
    }).pipe(Effect.provide(SiteArchiveZip.layer)))
})
