import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import yauzl from "yauzl"
import { PeerTransport } from "../../src/services/client/PeerTransport.js"
import type { SiteListing } from "../../src/domain/SiteListing.js"
import { SiteArchive } from "../../src/services/client/SiteArchive.js"
import * as SiteArchiveZip from "../../src/services/client/SiteArchiveZip.js"
import { FaztRemote } from "../../src/FaztRemote.js"

// Real files, real archives, real readers: `unzip` (Info-ZIP), yauzl, and the
// node's own reader. The slow parts are timed in the test names' budgets:
// 65,536 files take a few seconds; the 4 GiB sparse file ~10 s of reading.

const hasUnzip = (() => {
  try {
    execFileSync("unzip", ["-v"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

const ZERO = Buffer.alloc(1024 * 1024)

/**
 * Writes the zip to a file. With `sparse`, runs of zeros are skipped (left as
 * holes), so a 4 GiB archive of a sparse file takes no disk space.
 */
const zipToFile = (listing: SiteListing, options: { sparse?: boolean; reuseBuffers?: boolean } = {}) =>
  Effect.gen(function* () {
    const archive = yield* SiteArchive
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fazt-zip64-")), "site.zip")
    const fd = fs.openSync(file, "w")
    let at = 0
    yield* Stream.runForEach(archive.zip(listing, { reuseBuffers: options.reuseBuffers ?? false }), (chunk) =>
      Effect.sync(() => {
        const hole = options.sparse === true && chunk.length <= ZERO.length && ZERO.subarray(0, chunk.length).equals(chunk)
        if (!hole) fs.writeSync(fd, chunk, 0, chunk.length, at)
        at += chunk.length
      }))
    fs.ftruncateSync(fd, at)
    fs.closeSync(fd)
    return file
  })

interface Central {
  readonly name: string
  readonly size: number
  readonly compressedSize: number
  readonly offset: number
  readonly crc: number
}

/** The central directory as yauzl reads it (it follows ZIP64 records). */
const centralDirectory = (file: string): Promise<Array<Central>> =>
  new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err)
      const out: Array<Central> = []
      zip.on("entry", (e: yauzl.Entry) => {
        out.push({
          name: e.fileName,
          size: e.uncompressedSize,
          compressedSize: e.compressedSize,
          offset: e.relativeOffsetOfLocalHeader,
          crc: e.crc32
        })
        zip.readEntry()
      })
      zip.on("end", () => resolve(out))
      zip.on("error", reject)
      zip.readEntry()
    })
  })

/** The end records, read by hand: the classic one, and the ZIP64 one if its locator is there. */
const endRecords = (file: string) => {
  const size = fs.statSync(file).size
  const fd = fs.openSync(file, "r")
  try {
    const tail = Buffer.alloc(22 + 20)
    fs.readSync(fd, tail, 0, tail.length, size - tail.length)
    const classic = tail.subarray(20)
    expect(classic.readUInt32LE(0)).toBe(0x06054b50)
    const locator = tail.subarray(0, 20)
    if (locator.readUInt32LE(0) !== 0x07064b50) {
      return { count16: classic.readUInt16LE(10), offset32: classic.readUInt32LE(16), zip64: undefined }
    }
    const record = Buffer.alloc(56)
    fs.readSync(fd, record, 0, 56, Number(locator.readBigUInt64LE(8)))
    expect(record.readUInt32LE(0)).toBe(0x06064b50)
    return {
      count16: classic.readUInt16LE(10),
      offset32: classic.readUInt32LE(16),
      zip64: { count: Number(record.readBigUInt64LE(32)), offset: Number(record.readBigUInt64LE(48)) }
    }
  } finally {
    fs.closeSync(fd)
  }
}

/** A scratch folder, on tmpfs where there is one: creating 65,536 files on ext4 here took 90 s, on tmpfs 6 s. */
const scratchDir = (prefix: string) => {
  const base = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir()
  try {
    return fs.mkdtempSync(path.join(base, prefix))
  } catch {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  }
}

/** `count` files in folders of 1,000; every 1,000th holds its own name, the rest are empty (no data pages to write). */
const manyFiles = (count: number) => {
  const root = scratchDir("fazt-many-")
  for (let d = 0; d * 1000 < count; d++) {
    const dir = path.join(root, `d${String(d).padStart(3, "0")}`)
    fs.mkdirSync(dir)
    for (let i = d * 1000; i < Math.min(count, (d + 1) * 1000); i++) {
      const file = path.join(dir, `f${i}.txt`)
      if (i % 1000 === 999) fs.writeFileSync(file, `file ${i}\n`)
      else fs.closeSync(fs.openSync(file, "w"))
    }
  }
  return root
}

describe("ZIP64", () => {
  it.live("65,536 files: ZIP64 end records that unzip and yauzl (the node's reader) accept, files intact", () =>
    Effect.gen(function* () {
      const root = manyFiles(65_536)
      const listing = yield* (yield* SiteArchive).scan(root)
      expect(listing.files.length).toBe(65_536)
      const one = listing.files.find((f) => f.size > 0)!
      const zip = yield* zipToFile(listing)
      const source = path.join(path.dirname(zip), "one.txt")
      fs.copyFileSync(one.source, source)
      fs.rmSync(root, { recursive: true, force: true })

      const end = endRecords(zip)
      expect(end.count16).toBe(0xffff)
      expect(end.zip64?.count).toBe(65_536)
      const central = yield* Effect.promise(() => centralDirectory(zip))
      expect(central.length).toBe(65_536)
      expect(central[65_535]?.name).toBe("d065/f65535.txt")
      expect((yield* Effect.promise(() => readEntry(zip, "d064/f64999.txt"))).toString()).toBe("file 64999\n")
      if (hasUnzip) {
        expect(execFileSync("unzip", ["-tq", zip], { encoding: "utf8" })).toContain("No errors detected")
        expect(execFileSync("unzip", ["-p", zip, "d042/f42999.txt"], { encoding: "utf8" })).toBe("file 42999\n")
      }

      // The edge, on listings of one file under many names: 65,535 entries
      // already need ZIP64 (0xFFFF in the classic record means "see ZIP64"); 65,534 do not.
      // Built by hand on a copy: the copy is another inode, so the scan's identity is left out.
      const { dev: _dev, ino: _ino, ...copied } = one
      const named = (count: number): SiteListing => ({
        ...listing,
        files: Array.from({ length: count }, (_, i) => ({ ...copied, source, path: `n/${i}.txt` }))
      })
      const readable = (file: string, count: number) =>
        hasUnzip
          ? Effect.sync(() => expect(execFileSync("unzip", ["-tq", file], { encoding: "utf8" })).toContain("No errors detected"))
          : Effect.promise(() => centralDirectory(file)).pipe(Effect.map((entries) => expect(entries.length).toBe(count)))
      const edge = yield* zipToFile(named(65_535))
      expect(endRecords(edge).zip64?.count).toBe(65_535)
      yield* readable(edge, 65_535)
      const classic = yield* zipToFile(named(65_534))
      expect(endRecords(classic)).toEqual({ count16: 65_534, offset32: expect.any(Number), zip64: undefined })
      yield* readable(classic, 65_534)
    }).pipe(Effect.provide(SiteArchiveZip.layer)), { timeout: 180_000 })

  it.live("a file over 4 GiB (sparse): ZIP64 sizes and offsets, the right CRC, and the file after it readable", () =>
    Effect.gen(function* () {
      const root = scratchDir("fazt-big-")
      const bigSize = 4 * 1024 * 1024 * 1024 + 1000
      // Named like a video so it is stored: deflating 4 GiB of zeros would only cost time.
      const big = path.join(root, "big.mp4")
      fs.closeSync(fs.openSync(big, "w"))
      fs.truncateSync(big, bigSize)
      fs.writeFileSync(path.join(root, "index.html"), "<h1>before</h1>")
      fs.writeFileSync(path.join(root, "z.txt"), "after the big one\n")
      try {
        const listing = yield* (yield* SiteArchive).scan(root)
        // Reused buffers are safe here: each chunk is written out before the next is pulled.
        const zip = yield* zipToFile(listing, { sparse: true, reuseBuffers: true })

        const central = yield* Effect.promise(() => centralDirectory(zip))
        expect(central.map((e) => e.name)).toEqual(["big.mp4", "index.html", "z.txt"])
        const [bigEntry, , last] = central
        expect(bigEntry).toMatchObject({ size: bigSize, compressedSize: bigSize, crc: 0x3fbc67ba }) // CRC-32 of 4 GiB + 1000 zero bytes
        expect(last!.offset).toBeGreaterThan(0xffffffff)
        expect(endRecords(zip).offset32).toBe(0xffffffff) // the directory starts past 4 GiB: ZIP64 end records
        if (hasUnzip) {
          expect(execFileSync("unzip", ["-l", zip], { encoding: "utf8" })).toContain(String(bigSize))
          expect(execFileSync("unzip", ["-p", zip, "z.txt"], { encoding: "utf8" })).toBe("after the big one\n")
        }
        // yauzl reads the entry past 4 GiB through the ZIP64 offset.
        const after = yield* Effect.promise(() => readEntry(zip, "z.txt"))
        expect(after.toString()).toBe("after the big one\n")
      } finally {
        fs.rmSync(root, { recursive: true, force: true })
      }
    }).pipe(Effect.provide(SiteArchiveZip.layer)), { timeout: 300_000 })

  it.live("a name no zip header can hold fails before a single byte is produced", () =>
    Effect.gen(function* () {
      const root = scratchDir("fazt-name-")
      fs.writeFileSync(path.join(root, "a.txt"), "a")
      const listing = yield* (yield* SiteArchive).scan(root)
      const long: SiteListing = { ...listing, files: [...listing.files, { ...listing.files[0]!, path: "x".repeat(70_000) }] }
      let produced = 0
      const error = yield* Effect.flip(
        Stream.runForEach((yield* SiteArchive).zip(long), (c) => Effect.sync(() => (produced += c.length)))
      )
      expect(error._tag).toBe("UnzippableFile")
      expect(error.message).toContain("65,535 bytes")
      expect(produced).toBe(0)
      fs.rmSync(root, { recursive: true, force: true })
    }).pipe(Effect.provide(SiteArchiveZip.layer)))
})

const readEntry = (file: string, name: string): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err || !zip) return reject(err)
      zip.on("entry", (e: yauzl.Entry) => {
        if (e.fileName !== name) return zip.readEntry()
        zip.openReadStream(e, (err2, stream) => {
          if (err2 || !stream) return reject(err2)
          const chunks: Array<Buffer> = []
          stream.on("data", (c: Buffer) => chunks.push(c))
          stream.on("end", () => {
            zip.close()
            resolve(Buffer.concat(chunks))
          })
          stream.on("error", reject)
        })
      })
      zip.on("end", () => reject(new Error(`${name} not found`)))
      zip.on("error", reject)
      zip.readEntry()
    })
  })

describe("reused read buffers", () => {
  it.live("reach the writer through SiteArchiveZip.layer, and the HTTP transport declares it writes chunk by chunk", () =>
    Effect.gen(function* () {
      const root = scratchDir("fazt-ring-")
      fs.writeFileSync(path.join(root, "big.mp4"), Buffer.alloc(8 * 1024 * 1024 + 5, 7)) // stored: pieces are the read buffers themselves
      const archive = yield* SiteArchive
      const listing = yield* archive.scan(root)
      const backing = (reuseBuffers: boolean) =>
        Stream.runCollect(archive.zip(listing, { reuseBuffers })).pipe(
          Effect.map((chunks) => new Set([...chunks].filter((c) => c.length >= 1024 * 1024).map((c) => c.buffer)).size)
        )
      expect(yield* backing(false)).toBe(8) // a fresh buffer per 1 MiB piece
      expect(yield* backing(true)).toBeLessThanOrEqual(4) // a ring of four
      fs.rmSync(root, { recursive: true, force: true })
      const transport = yield* PeerTransport.pipe(Effect.provide(FaztRemote.httpTransport({})))
      expect(transport.writesChunkByChunk).toBe(true)
    }).pipe(Effect.provide(SiteArchiveZip.layer)))
})
