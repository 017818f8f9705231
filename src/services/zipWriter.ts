import { Effect, Option, Stream } from "effect"
import * as fs from "node:fs"
import { promisify } from "node:util"
import * as zlib from "node:zlib"
import { InvalidInput } from "../domain/errors.js"
import type { SiteFileEntry, SiteListing } from "./SiteArchive.js"

/**
 * A streaming zip writer for site folders. archiver took ~2.7× the time of
 * `zip -r` on 3,000 small files (a stream and a thread-pool round trip per
 * file); here small files are packed in batches, synchronously, into one
 * buffer each, and large ones stream in 1 MiB pieces, so the archive flows at
 * about zip's own speed with memory bounded by a batch.
 */

// Already compressed: deflating them again costs time and saves nothing.
const STORED = /\.(png|jpe?g|gif|webp|avif|ico|woff2?|zip|gz|tgz|br|zst|xz|bz2|7z|mp3|mp4|m4a|webm|ogg|ogv|mov|wasm)$/i
/** Files up to this size are packed whole, in batches; larger ones are streamed in pieces. */
const SMALL_LIMIT = 256 * 1024
const CHUNK = 1024 * 1024
const LEVEL = 6

const deflateRaw = promisify(zlib.deflateRaw) as (buf: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>

// zlib.crc32 exists from Node 20.15 on; older 20.x get a table-driven fallback.
const crcTable = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()
const crc32: (data: Uint8Array, value?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function"
    ? (zlib as unknown as { crc32: (d: Uint8Array, v?: number) => number }).crc32
    : (data, value = 0) => {
      let c = ~value
      for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
      return ~c >>> 0
    }

const dosTime = (ms: number): { time: number; date: number } => {
  const d = new Date(ms)
  const year = Math.max(1980, d.getFullYear())
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate()
  }
}

const UTF8 = 0x0800
const DESCRIPTOR = 0x0008

interface Entry {
  readonly name: Buffer
  readonly flags: number
  readonly method: 0 | 8
  readonly time: number
  readonly date: number
  crc: number
  csize: number
  usize: number
  readonly offset: number
}

const localHeader = (e: Entry): Buffer => {
  const b = Buffer.alloc(30)
  b.writeUInt32LE(0x04034b50, 0)
  b.writeUInt16LE(20, 4)
  b.writeUInt16LE(e.flags, 6)
  b.writeUInt16LE(e.method, 8)
  b.writeUInt16LE(e.time, 10)
  b.writeUInt16LE(e.date, 12)
  if ((e.flags & DESCRIPTOR) === 0) {
    b.writeUInt32LE(e.crc >>> 0, 14)
    b.writeUInt32LE(e.csize, 18)
    b.writeUInt32LE(e.usize, 22)
  }
  b.writeUInt16LE(e.name.length, 26)
  return Buffer.concat([b, e.name])
}

const descriptor = (e: Entry): Buffer => {
  const b = Buffer.alloc(16)
  b.writeUInt32LE(0x08074b50, 0)
  b.writeUInt32LE(e.crc >>> 0, 4)
  b.writeUInt32LE(e.csize, 8)
  b.writeUInt32LE(e.usize, 12)
  return b
}

const centralHeader = (e: Entry): Buffer => {
  const b = Buffer.alloc(46)
  b.writeUInt32LE(0x02014b50, 0)
  b.writeUInt16LE(0x0314, 4) // made by: Unix, spec 2.0
  b.writeUInt16LE(20, 6)
  b.writeUInt16LE(e.flags, 8)
  b.writeUInt16LE(e.method, 10)
  b.writeUInt16LE(e.time, 12)
  b.writeUInt16LE(e.date, 14)
  b.writeUInt32LE(e.crc >>> 0, 16)
  b.writeUInt32LE(e.csize, 20)
  b.writeUInt32LE(e.usize, 24)
  b.writeUInt16LE(e.name.length, 28)
  b.writeUInt32LE((0o100644 << 16) >>> 0, 38)
  b.writeUInt32LE(e.offset, 42)
  return Buffer.concat([b, e.name])
}

const endRecord = (count: number, size: number, offset: number): Buffer => {
  const b = Buffer.alloc(22)
  b.writeUInt32LE(0x06054b50, 0)
  b.writeUInt16LE(count, 8)
  b.writeUInt16LE(count, 10)
  b.writeUInt32LE(size, 12)
  b.writeUInt32LE(offset, 16)
  return b
}

const unreadable = (file: SiteFileEntry, e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code
  const why = code === "ENOENT" ? "it vanished while the site was being zipped" : (e as Error).message
  return new InvalidInput({ message: `cannot read ${file.path}: ${why}` })
}

/**
 * Random-looking data (encrypted, or compressed in a format we do not know):
 * the byte entropy of its first 8 KiB is near 8 bits, so deflate cannot save
 * anything and would cost as much time as all the text of a site. Measured on
 * a histogram, which costs microseconds.
 */
const looksIncompressible = (data: Uint8Array) => {
  const n = Math.min(data.length, 8192)
  if (n < 2048) return false
  const counts = new Uint32Array(256)
  for (let i = 0; i < n; i++) counts[data[i]!]!++
  let bits = 0
  for (const c of counts) if (c > 0) bits -= (c / n) * Math.log2(c / n)
  // 8 KiB of true noise measures ~7.98 bits; text stays below 6.
  return bits > 7.9
}

const methodFor = (file: SiteFileEntry, head: Uint8Array): 0 | 8 =>
  head.length < 64 || STORED.test(file.path) || looksIncompressible(head) ? 0 : 8

/**
 * Small files travel in batches, packed synchronously into one buffer: read
 * into a reused scratch buffer (no garbage per file), deflated inline. At
 * 3,000 files a stream element or a thread-pool round trip per file costs
 * more than the work itself.
 */
type Batch =
  | { readonly kind: "small"; readonly files: ReadonlyArray<SiteFileEntry> }
  | { readonly kind: "large"; readonly file: SiteFileEntry }

interface PackedBatch {
  readonly bytes: Buffer
  /** Entries with offsets relative to the start of `bytes`. */
  readonly entries: ReadonlyArray<Entry>
}

const BATCH_BYTES = 1024 * 1024
const BATCH_FILES = 256

const batches = (files: ReadonlyArray<SiteFileEntry>): Array<Batch> => {
  const out: Array<Batch> = []
  let current: Array<SiteFileEntry> = []
  let bytes = 0
  const flush = () => {
    if (current.length > 0) out.push({ kind: "small", files: current })
    current = []
    bytes = 0
  }
  for (const file of files) {
    if (file.size > SMALL_LIMIT) {
      flush()
      out.push({ kind: "large", file })
      continue
    }
    current.push(file)
    bytes += file.size
    if (bytes >= BATCH_BYTES || current.length >= BATCH_FILES) flush()
  }
  flush()
  return out
}

let scratch = Buffer.allocUnsafe(SMALL_LIMIT + 1)

/** Reads a whole small file into the scratch buffer; a file that grew past the limit is refused. */
const readSmall = (file: SiteFileEntry): Buffer => {
  const fd = fs.openSync(file.source, "r")
  try {
    let n = 0
    for (;;) {
      const r = fs.readSync(fd, scratch, n, scratch.length - n, null)
      if (r === 0) break
      n += r
      if (n === scratch.length) throw new Error("it grew while the site was being zipped")
    }
    return scratch.subarray(0, n)
  } finally {
    fs.closeSync(fd)
  }
}

const packBatch = (files: ReadonlyArray<SiteFileEntry>): Effect.Effect<PackedBatch, InvalidInput> =>
  Effect.suspend(() => {
    const capacity = files.reduce((n, f) => n + 30 + Buffer.byteLength(f.path) + f.size, 0)
    let out = Buffer.allocUnsafe(capacity)
    let at = 0
    const entries: Array<Entry> = []
    for (const file of files) {
      let raw: Buffer
      try {
        raw = readSmall(file)
      } catch (e) {
        return Effect.fail(unreadable(file, e))
      }
      let method = methodFor(file, raw)
      let data: Uint8Array = raw
      if (method === 8) {
        const packed = zlib.deflateRawSync(raw, { level: LEVEL })
        if (packed.length < raw.length) data = packed
        else method = 0
      }
      const { time, date } = dosTime(file.mtimeMs)
      const entry: Entry = {
        name: Buffer.from(file.path, "utf8"), flags: UTF8, method, time, date,
        crc: crc32(raw), csize: data.length, usize: raw.length, offset: at
      }
      const header = localHeader(entry)
      // The file may have grown since it was listed: make room rather than fail.
      if (at + header.length + data.length > out.length) {
        const bigger = Buffer.allocUnsafe((at + header.length + data.length) * 2)
        out.copy(bigger, 0, 0, at)
        out = bigger
      }
      at += header.copy(out, at)
      at += Buffer.from(data.buffer, data.byteOffset, data.length).copy(out, at)
      entries.push(entry)
    }
    return Effect.succeed({ bytes: out.subarray(0, at), entries })
  })

/** The zip of `listing` as a stream; each run reads the files afresh. */
export const zipStream = (listing: SiteListing): Stream.Stream<Uint8Array, InvalidInput> =>
  Stream.suspend(() => {
    let offset = 0
    const central: Array<Entry> = []
    const checkSize = () => {
      if (offset > 0xffffffff) throw new InvalidInput({ message: "the site is larger than 4 GiB, which a zip without ZIP64 cannot hold" })
    }

    const small = (batch: PackedBatch): Stream.Stream<Uint8Array, InvalidInput> =>
      Stream.suspend(() => {
        for (const e of batch.entries) central.push({ ...e, offset: offset + e.offset })
        offset += batch.bytes.length
        checkSize()
        return Stream.make(batch.bytes as Uint8Array)
      })

    // Streamed in 1 MiB pieces, each deflated with a sync flush so the pieces
    // join into one valid deflate stream; sizes and CRC follow in a descriptor.
    const large = (file: SiteFileEntry): Stream.Stream<Uint8Array, InvalidInput> =>
      Stream.unwrapScoped(
        Effect.gen(function* () {
          const handle = yield* Effect.acquireRelease(
            Effect.tryPromise({ try: () => fs.promises.open(file.source, "r"), catch: (e) => unreadable(file, e) }),
            (h) => Effect.promise(() => h.close())
          )
          const readPiece = Effect.tryPromise({
            try: async () => {
              const buf = Buffer.allocUnsafe(CHUNK)
              const { bytesRead } = await handle.read(buf, 0, CHUNK, null)
              return buf.subarray(0, bytesRead)
            },
            catch: (e) => unreadable(file, e)
          })
          const first = yield* readPiece
          const method = methodFor(file, first)
          const { time, date } = dosTime(file.mtimeMs)
          const entry: Entry = {
            name: Buffer.from(file.path, "utf8"), flags: UTF8 | DESCRIPTOR, method, time, date,
            crc: 0, csize: 0, usize: 0, offset
          }
          central.push(entry)
          const header = localHeader(entry)
          offset += header.length
          checkSize()
          const emit = (raw: Buffer, last: boolean) =>
            Effect.tryPromise({
              try: async () => {
                entry.crc = crc32(raw, entry.crc)
                entry.usize += raw.length
                const out = method === 0
                  ? raw
                  : await deflateRaw(raw, { level: LEVEL, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH })
                entry.csize += out.length
                offset += out.length
                return out as Uint8Array
              },
              catch: (e) => unreadable(file, e)
            })
          // Each piece is deflated with a sync flush so the pieces join into one
          // deflate stream; the empty last piece finishes it.
          const pieces = Stream.unfoldEffect(
            first as Buffer | undefined,
            (raw): Effect.Effect<Option.Option<readonly [Uint8Array, Buffer | undefined]>, InvalidInput> =>
              raw === undefined ? Effect.succeed(Option.none()) : Effect.gen(function* () {
                const last = raw.length === 0
                const out = yield* emit(raw, last)
                const next = last ? undefined : yield* readPiece
                return Option.some([out, next] as const)
              })
          )
          return Stream.make(header as Uint8Array).pipe(
            Stream.concat(pieces),
            Stream.concat(Stream.suspend(() => {
              const d = descriptor(entry)
              offset += d.length
              return Stream.make(d as Uint8Array)
            }))
          )
        })
      )

    const entries = Stream.fromIterable(batches(listing.files)).pipe(
      Stream.flatMap((b) => (b.kind === "small" ? Stream.flatMap(Stream.fromEffect(packBatch(b.files)), small) : large(b.file)))
    )
    const directory = Stream.suspend(() => {
      const headers = central.map(centralHeader)
      const size = headers.reduce((n, h) => n + h.length, 0)
      if (central.length > 0xffff) {
        return Stream.fail(new InvalidInput({ message: "more than 65,535 files, which a zip without ZIP64 cannot hold" }))
      }
      return Stream.make(Buffer.concat([...headers, endRecord(central.length, size, offset)]) as Uint8Array)
    })
    return Stream.concat(entries, directory)
  })
