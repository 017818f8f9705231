import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as zlib from "node:zlib"
import { describeErrno, errnoCode } from "../../domain/errno.js"
import { UnzippableFile } from "../../domain/errors.js"
import type { SiteFileEntry, SiteListing } from "../../domain/SiteListing.js"
import { type Compression, compressionLevel } from "./compression.js"

/**
 * A streaming zip writer for site folders. archiver took ~2.7× the time of
 * `zip -r` on 3,000 small files (a stream and a thread-pool round trip per
 * file); here small files are packed in batches, synchronously, into one
 * buffer each, and large ones stream in 1 MiB pieces, so the archive flows at
 * about zip's own speed with memory bounded by a batch.
 *
 * The whole archive is one plain state machine (`Writer`) behind one pull:
 * no Stream, scope or Effect per file (they cost ~3 M instructions per large
 * file, twice the work of sending it). Effect stays at the edges: one scope
 * for the archive (its finalizer closes whatever is open, after any read in
 * flight), interruption between pieces, typed failures.
 */

// Already compressed: deflating them again costs time and saves nothing.
const STORED = /\.(png|jpe?g|gif|webp|avif|ico|woff2?|zip|gz|tgz|br|zst|xz|bz2|7z|mp3|mp4|m4a|webm|ogg|ogv|mov|wasm)$/i
/** Files up to this size are packed whole, in batches; larger ones are streamed in pieces. */
const SMALL_LIMIT = 256 * 1024
const CHUNK = 1024 * 1024

const deflateRaw = (buf: Buffer, options: zlib.ZlibOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => zlib.deflateRaw(buf, options, (e, out) => (e ? reject(e) : resolve(out))))

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

/** A DOS date holds 1980 to 2107; a file dated outside (a clock gone wrong) gets the nearest end. */
const DOS_FIRST = new Date(1980, 0, 1).getTime()
const DOS_LAST = new Date(2107, 11, 31, 23, 59, 58).getTime()

const dosTime = (ms: number): { time: number; date: number } => {
  const d = new Date(Number.isFinite(ms) ? Math.min(Math.max(ms, DOS_FIRST), DOS_LAST) : DOS_FIRST)
  const year = d.getFullYear()
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate()
  }
}

const UTF8 = 0x0800
const DESCRIPTOR = 0x0008
/** The largest value a 32-bit zip field holds; this value itself means "see the ZIP64 record". */
const MAX32 = 0xffffffff
const MAX16 = 0xffff
/**
 * A streamed file listed at this size or more gets ZIP64 sizes from its local
 * header on (its size is only known once it has been read). The margin covers
 * deflate's worst-case growth and a file that grows a little while it is read.
 */
const ZIP64_STREAMED = MAX32 - 64 * 1024 * 1024

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
  /** Its local header carries a ZIP64 extra field, so its data descriptor has 8-byte sizes. */
  readonly zip64: boolean
}

/** Little-endian 64-bit write of a safe integer (no BigInt needed below 2^53). */
const writeUInt64LE = (b: Buffer, n: number, at: number) => {
  b.writeUInt32LE(n % 0x100000000, at)
  b.writeUInt32LE(Math.floor(n / 0x100000000), at + 4)
}

const localHeader = (e: Entry): Buffer => {
  const extra = e.zip64 ? 20 : 0
  const b = Buffer.alloc(30 + e.name.length + extra)
  b.writeUInt32LE(0x04034b50, 0)
  b.writeUInt16LE(e.zip64 ? 45 : 20, 4)
  b.writeUInt16LE(e.flags, 6)
  b.writeUInt16LE(e.method, 8)
  b.writeUInt16LE(e.time, 10)
  b.writeUInt16LE(e.date, 12)
  if ((e.flags & DESCRIPTOR) === 0) {
    b.writeUInt32LE(e.crc >>> 0, 14)
    b.writeUInt32LE(e.csize, 18)
    b.writeUInt32LE(e.usize, 22)
  } else if (e.zip64) {
    // Sizes follow in the (ZIP64) data descriptor; the extra field holds zeros, as APPNOTE 4.5.3 asks.
    b.writeUInt32LE(MAX32, 18)
    b.writeUInt32LE(MAX32, 22)
  }
  b.writeUInt16LE(e.name.length, 26)
  b.writeUInt16LE(extra, 28)
  e.name.copy(b, 30)
  if (e.zip64) {
    b.writeUInt16LE(0x0001, 30 + e.name.length)
    b.writeUInt16LE(16, 32 + e.name.length)
  }
  return b
}

const descriptor = (e: Entry): Buffer => {
  const b = Buffer.alloc(e.zip64 ? 24 : 16)
  b.writeUInt32LE(0x08074b50, 0)
  b.writeUInt32LE(e.crc >>> 0, 4)
  if (e.zip64) {
    writeUInt64LE(b, e.csize, 8)
    writeUInt64LE(b, e.usize, 16)
  } else {
    b.writeUInt32LE(e.csize, 8)
    b.writeUInt32LE(e.usize, 12)
  }
  return b
}

/**
 * A central directory record. Sizes and offsets that do not fit 32 bits (or
 * any entry whose local header was ZIP64) go to a ZIP64 extra field, holding
 * only the overflowing values, in APPNOTE's order: size, compressed size, offset.
 */
const centralHeader = (e: Entry): Buffer => {
  const big = (n: number) => e.zip64 || n >= MAX32
  const wide = [big(e.usize) ? e.usize : -1, big(e.csize) ? e.csize : -1, e.offset >= MAX32 ? e.offset : -1]
    .filter((n) => n >= 0)
  const extra = wide.length > 0 ? 4 + 8 * wide.length : 0
  const b = Buffer.alloc(46 + e.name.length + extra)
  b.writeUInt32LE(0x02014b50, 0)
  b.writeUInt16LE(extra > 0 ? 0x032d : 0x0314, 4) // made by: Unix, spec 4.5 (ZIP64) or 2.0
  b.writeUInt16LE(extra > 0 ? 45 : 20, 6)
  b.writeUInt16LE(e.flags, 8)
  b.writeUInt16LE(e.method, 10)
  b.writeUInt16LE(e.time, 12)
  b.writeUInt16LE(e.date, 14)
  b.writeUInt32LE(e.crc >>> 0, 16)
  b.writeUInt32LE(big(e.csize) ? MAX32 : e.csize, 20)
  b.writeUInt32LE(big(e.usize) ? MAX32 : e.usize, 24)
  b.writeUInt16LE(e.name.length, 28)
  b.writeUInt16LE(extra, 30)
  b.writeUInt32LE((0o100644 << 16) >>> 0, 38)
  b.writeUInt32LE(Math.min(e.offset, MAX32), 42)
  e.name.copy(b, 46)
  if (extra > 0) {
    let at = 46 + e.name.length
    b.writeUInt16LE(0x0001, at)
    b.writeUInt16LE(extra - 4, at + 2)
    at += 4
    for (const n of wide) {
      writeUInt64LE(b, n, at)
      at += 8
    }
  }
  return b
}

/**
 * The end of the archive. Past 65,534 entries or 4 GiB, a ZIP64 end record and
 * its locator come first, and the classic record holds 0xFFFF/0xFFFFFFFF in
 * the fields that overflow (APPNOTE 4.4.1.4), so readers look for them.
 */
const endRecords = (count: number, size: number, offset: number): Buffer => {
  const classic = Buffer.alloc(22)
  classic.writeUInt32LE(0x06054b50, 0)
  classic.writeUInt16LE(Math.min(count, MAX16), 8)
  classic.writeUInt16LE(Math.min(count, MAX16), 10)
  classic.writeUInt32LE(Math.min(size, MAX32), 12)
  classic.writeUInt32LE(Math.min(offset, MAX32), 16)
  if (count < MAX16 && size < MAX32 && offset < MAX32) return classic
  const zip64 = Buffer.alloc(56 + 20)
  zip64.writeUInt32LE(0x06064b50, 0)
  writeUInt64LE(zip64, 44, 4) // the size of the rest of this record
  zip64.writeUInt16LE(0x032d, 12)
  zip64.writeUInt16LE(45, 14)
  writeUInt64LE(zip64, count, 24)
  writeUInt64LE(zip64, count, 32)
  writeUInt64LE(zip64, size, 40)
  writeUInt64LE(zip64, offset, 48)
  // The locator: where the ZIP64 end record starts, on disk 0 of 1.
  zip64.writeUInt32LE(0x07064b50, 56)
  writeUInt64LE(zip64, offset + size, 64)
  zip64.writeUInt32LE(1, 72)
  return Buffer.concat([zip64, classic])
}

const CHANGED = "file changed as we read it"

const changed = (file: SiteFileEntry, problem: "changed" | "grew" | "truncated", what: string) =>
  new UnzippableFile({ file: file.path, problem, reason: `${CHANGED}: ${what}` })

const unreadable = (file: SiteFileEntry, e: unknown) => {
  if (e instanceof UnzippableFile) return e
  const code = errnoCode(e)
  if (code === "ENOENT") {
    return new UnzippableFile({ file: file.path, problem: "vanished", reason: "it vanished while the site was being zipped" })
  }
  // O_NOFOLLOW met a link; a socket cannot be opened: neither is the file the scan saw.
  if (code === "ELOOP") return changed(file, "changed", "it is now a symbolic link")
  if (code === "ENXIO") return changed(file, "changed", "it is no longer a regular file")
  return new UnzippableFile({ file: file.path, problem: "unreadable", reason: describeErrno(e) })
}

/**
 * Flags for opening a listed file: never through a link (a file swapped for a
 * link to `../secret.txt` since the scan fails with ELOOP), never waiting (a
 * file swapped for a FIFO opens at once, and is then refused by its type).
 */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0)

/**
 * Opens `file` as the scan saw it: the same device and inode, a regular file,
 * the same size, or an `UnzippableFile` naming it (thrown; GNU tar and zip say
 * "file changed as we read it"). Run afresh each time the archive is built,
 * so a retried upload checks again.
 */
const openListed = (file: SiteFileEntry): number => {
  const fd = fs.openSync(file.source, OPEN_FLAGS)
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) throw changed(file, "changed", "it is no longer a regular file")
    if ((file.dev !== undefined && st.dev !== file.dev) || (file.ino !== undefined && st.ino !== file.ino)) {
      throw changed(file, "changed", "it was replaced by another file")
    }
    if (st.size > file.size) throw changed(file, "grew", `it grew from ${file.size} to ${st.size} bytes`)
    if (st.size < file.size) throw changed(file, "truncated", `it shrank from ${file.size} to ${st.size} bytes`)
    return fd
  } catch (e) {
    fs.closeSync(fd)
    throw e
  }
}

/** What was read of `file` in all, against the size the scan saw. */
const checkLength = (file: SiteFileEntry, read: number): UnzippableFile | undefined =>
  read > file.size
    ? changed(file, "grew", `it grew from ${file.size} bytes while it was read`)
    : read < file.size
    ? changed(file, "truncated", `only ${read} of its ${file.size} bytes could be read`)
    : undefined

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

const methodFor = (file: SiteFileEntry, head: Uint8Array, level: number): 0 | 8 =>
  level === 0 || head.length < 64 || STORED.test(file.path) || looksIncompressible(head) ? 0 : 8

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

const scratch = Buffer.allocUnsafe(SMALL_LIMIT + 1)

const grew = (file: SiteFileEntry) =>
  new UnzippableFile({ file: file.path, problem: "grew", reason: "it grew while the site was being zipped" })

/**
 * Reads a whole small file into the scratch buffer, or `undefined` when it
 * grew past the limit since it was listed. Node's own errors (it vanished, it
 * is a folder now) are thrown by `fs` and caught, typed, by `packBatch`.
 */
const readSmall = (file: SiteFileEntry): Buffer | undefined => {
  const fd = openListed(file)
  try {
    let n = 0
    for (;;) {
      const r = fs.readSync(fd, scratch, n, scratch.length - n, null)
      if (r === 0) {
        const short = checkLength(file, n)
        if (short !== undefined) throw short
        return scratch.subarray(0, n)
      }
      n += r
      if (n === scratch.length) return undefined
    }
  } finally {
    fs.closeSync(fd)
  }
}

/** Packs a batch of small files into one buffer; throws the `UnzippableFile` of the first that fails. */
const packBatch = (files: ReadonlyArray<SiteFileEntry>, level: number): PackedBatch => {
  const capacity = files.reduce((n, f) => n + 30 + Buffer.byteLength(f.path) + f.size, 0)
  let out = Buffer.allocUnsafe(capacity)
  let at = 0
  const entries: Array<Entry> = []
  for (const file of files) {
    let raw: Buffer | undefined
    let method: 0 | 8
    let data: Uint8Array
    // Everything `fs` and zlib throw for this file becomes its typed failure.
    try {
      raw = readSmall(file)
      if (raw === undefined) throw grew(file)
      method = methodFor(file, raw, level)
      data = raw
      if (method === 8) {
        const packed = zlib.deflateRawSync(raw, { level })
        if (packed.length < raw.length) data = packed
        else method = 0
      }
    } catch (e) {
      throw unreadable(file, e)
    }
    const { time, date } = dosTime(file.mtimeMs)
    const entry: Entry = {
      name: Buffer.from(file.path, "utf8"), flags: UTF8, method, time, date,
      crc: crc32(raw), csize: data.length, usize: raw.length, offset: at, zip64: false
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
  return { bytes: out.subarray(0, at), entries }
}

export interface ZipOptions {
  /**
   * Read large files into a small ring of reused buffers instead of a fresh
   * 1 MiB buffer per piece (garbage collection took ~20% of a large deploy).
   * A chunk then stays valid only until the consumer has pulled two more: set
   * it only for a consumer that writes each chunk out before it asks for the
   * next one, as the HTTP upload does (see `HttpTransport`'s drain points).
   */
  readonly reuseBuffers?: boolean
  /** How hard to deflate; default `DEFAULT_COMPRESSION` (compression.ts). */
  readonly compression?: Compression | undefined
}

const RING = 4

/** A large file being read: its descriptor, the read in flight, what is left of its listed size. */
interface Reading {
  readonly file: SiteFileEntry
  readonly fd: number
  /** The bytes asked for by the read in flight. */
  want: number
  read: Promise<Buffer>
  /** Listed bytes not yet read. */
  remaining: number
  entry: Entry | undefined
  method: 0 | 8
  closed: boolean
}

/**
 * The archive as a state machine: `next()` gives the next bytes (at once for
 * a batch of small files or the directory, as a promise for a piece of a
 * large file), or `null` at the end; it throws (or rejects with) the
 * `UnzippableFile` that stops the archive.
 *
 * A large file is read in 1 MiB pieces; the read of the next piece (or of
 * the next large file's first piece) is started before this one is
 * checksummed, deflated and sent, so reading overlaps sending. Its last read
 * asks for one byte more than the listed size: the end is seen without an
 * extra zero-length read, and a file that grew since the scan is caught.
 */
class Writer {
  private offset = 0
  private readonly central: Array<Entry> = []
  private readonly ring: Array<Buffer> = []
  private turn = 0
  private index = 0
  private current: Reading | undefined
  /** The next large file, opened and its first read started while the one before is sent. */
  private ahead: Reading | undefined
  private readonly open = new Set<Reading>()
  private finished = false
  private readonly items: Array<Batch>

  constructor(files: ReadonlyArray<SiteFileEntry>, private readonly level: number, private readonly reuse: boolean) {
    this.items = batches(files)
  }

  private buffer(): Buffer {
    // One byte more than a piece: the last read of a file asks for one byte past its size.
    return this.reuse ? (this.ring[this.turn++ % RING] ??= Buffer.allocUnsafe(CHUNK + 1)) : Buffer.allocUnsafe(CHUNK + 1)
  }

  private startRead(r: Reading) {
    const buffer = this.buffer()
    const want = r.remaining <= CHUNK ? r.remaining + 1 : CHUNK
    r.want = want
    r.read = new Promise<Buffer>((resolve, reject) =>
      fs.read(r.fd, buffer, 0, want, null, (e, n) => (e ? reject(e) : resolve(buffer.subarray(0, n))))
    )
    // Settled later (or awaited by `close`); never an unhandled rejection meanwhile.
    r.read.catch(() => undefined)
  }

  private openLarge(file: SiteFileEntry): Reading {
    let fd: number
    try {
      fd = openListed(file)
    } catch (e) {
      throw unreadable(file, e)
    }
    const r: Reading = { file, fd, want: 0, read: Promise.resolve(Buffer.alloc(0)), remaining: file.size, entry: undefined, method: 0, closed: false }
    this.open.add(r)
    this.startRead(r)
    return r
  }

  private closeOne(r: Reading) {
    if (r.closed) return
    r.closed = true
    this.open.delete(r)
    try {
      fs.closeSync(r.fd)
    } catch {
      // Nothing was written through it: a failed close loses nothing.
    }
  }

  /** Closes every descriptor still open, once any read in flight on it has settled. */
  async close(): Promise<void> {
    for (const r of [...this.open]) {
      await r.read.catch(() => undefined)
      this.closeOne(r)
    }
  }

  next(): Chunk.Chunk<Uint8Array> | Promise<Chunk.Chunk<Uint8Array>> | null {
    if (this.current !== undefined) return this.piece(this.current)
    const batch = this.items[this.index++]
    if (batch === undefined) {
      if (this.finished) return null
      this.finished = true
      return Chunk.of(this.directory())
    }
    if (batch.kind === "small") {
      const packed = packBatch(batch.files, this.level)
      for (const e of packed.entries) this.central.push({ ...e, offset: this.offset + e.offset })
      this.offset += packed.bytes.length
      return Chunk.of(packed.bytes)
    }
    const r = this.ahead !== undefined && this.ahead.file === batch.file ? this.ahead : this.openLarge(batch.file)
    this.ahead = undefined
    this.current = r
    return this.piece(r)
  }

  private async piece(r: Reading): Promise<Chunk.Chunk<Uint8Array>> {
    const file = r.file
    let raw: Buffer
    try {
      raw = await r.read
    } catch (e) {
      throw unreadable(file, e)
    }
    const out: Array<Uint8Array> = []
    let entry = r.entry
    if (entry === undefined) {
      r.method = methodFor(file, raw, this.level)
      const { time, date } = dosTime(file.mtimeMs)
      entry = {
        name: Buffer.from(file.path, "utf8"), flags: UTF8 | DESCRIPTOR, method: r.method, time, date,
        crc: 0, csize: 0, usize: 0, offset: this.offset, zip64: file.size >= ZIP64_STREAMED
      }
      r.entry = entry
      this.central.push(entry)
      const header = localHeader(entry)
      this.offset += header.length
      out.push(header)
    }
    if (raw.length > r.remaining) throw changed(file, "grew", `it grew from ${file.size} bytes while it was read`)
    // A read shorter than asked is the end of the file.
    const last = raw.length < r.want
    r.remaining -= raw.length
    entry.usize += raw.length
    if (last) {
      const short = checkLength(file, entry.usize)
      if (short !== undefined) throw short
      this.closeOne(r)
      this.current = undefined
      const following = this.items[this.index]
      if (following?.kind === "large") this.ahead = this.openLarge(following.file)
    } else {
      this.startRead(r)
    }
    entry.crc = crc32(raw, entry.crc)
    let data: Uint8Array = raw
    if (r.method === 8) {
      try {
        // A sync flush after each piece lets the pieces join into one deflate stream.
        data = await deflateRaw(raw, { level: this.level, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH })
      } catch (e) {
        throw unreadable(file, e)
      }
    }
    entry.csize += data.length
    this.offset += data.length
    if (!entry.zip64 && (entry.usize >= MAX32 || entry.csize >= MAX32)) {
      throw new UnzippableFile({ file: file.path, problem: "grew", reason: "it grew past 4 GiB while the site was being zipped" })
    }
    if (data.length > 0) out.push(data)
    if (last) {
      const d = descriptor(entry)
      this.offset += d.length
      out.push(d)
    }
    return Chunk.unsafeFromArray(out)
  }

  private directory(): Buffer {
    const headers = this.central.map(centralHeader)
    const size = headers.reduce((n, h) => n + h.length, 0)
    return Buffer.concat([...headers, endRecords(this.central.length, size, this.offset)])
  }
}

const asUnzippable = (e: unknown): UnzippableFile =>
  e instanceof UnzippableFile
    ? e
    : new UnzippableFile({ file: "", problem: "unreadable", reason: e instanceof Error ? e.message : String(e) })

/** The zip of `listing` as a stream; each run reads the files afresh. ZIP64 where sizes, offsets or the count need it. */
export const zipStream = (listing: SiteListing, options: ZipOptions = {}): Stream.Stream<Uint8Array, UnzippableFile> =>
  Stream.suspend(() => {
    // A name is a 16-bit length in every header: refuse before a byte is sent.
    const tooLong = listing.files.find((f) => Buffer.byteLength(f.path) > MAX16)
    if (tooLong !== undefined) {
      return Stream.fail(new UnzippableFile({ file: tooLong.path, problem: "path-too-long", reason: "a path inside a zip holds at most 65,535 bytes" }))
    }
    const level = compressionLevel(options.compression)
    return Stream.unwrapScoped(Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => new Writer(listing.files, level, options.reuseBuffers === true)),
        // An interrupted archive closes its files once the reads in flight on them have settled.
        (w) => Effect.promise(() => w.close())
      ),
      (w) =>
        Stream.repeatEffectChunkOption(Effect.suspend((): Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<UnzippableFile>> => {
          let step: ReturnType<Writer["next"]>
          try {
            step = w.next()
          } catch (e) {
            return Effect.fail(Option.some(asUnzippable(e)))
          }
          if (step === null) return Effect.fail(Option.none())
          if (!(step instanceof Promise)) return Effect.succeed(step)
          const pending = step
          return Effect.async<Chunk.Chunk<Uint8Array>, Option.Option<UnzippableFile>>((resume) => {
            pending.then(
              (chunk) => resume(Effect.succeed(chunk)),
              (e) => resume(Effect.fail(Option.some(asUnzippable(e))))
            )
          })
        }))
    ))
  })
