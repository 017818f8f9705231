import type { Readable } from "node:stream"
import yauzl from "yauzl"

export interface ZipFile {
  readonly path: string
  readonly content: Buffer
}

/** A zip the node refuses to take, with a reason for the 400 answer. */
export class BadZip extends Error {
  override readonly name = "BadZip"
}

/**
 * Reads a zip file on disk one entry at a time (never the whole archive in
 * memory), refusing unsafe paths and stopping past `maxTotalBytes` unpacked.
 */
export class ZipReader {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly maxTotalBytes: number
  ) {}

  private total = 0
  private done = false
  private failure: Error | undefined
  private waiting: { resolve: (e: yauzl.Entry | null) => void; reject: (e: Error) => void } | undefined

  static open(path: string, maxTotalBytes: number): Promise<ZipReader> {
    return new Promise((resolve, reject) => {
      yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: false }, (err, zip) => {
        if (err || !zip) return reject(new BadZip(`not a readable zip file (${err?.message ?? "unknown"})`))
        const reader = new ZipReader(zip, maxTotalBytes)
        zip.on("entry", (entry: yauzl.Entry) => reader.settle(entry))
        zip.on("end", () => {
          reader.done = true
          reader.settle(null)
        })
        zip.on("error", (e: Error) => reader.fail(new BadZip(`a broken zip file (${e.message})`)))
        resolve(reader)
      })
    })
  }

  private settle(entry: yauzl.Entry | null) {
    const w = this.waiting
    this.waiting = undefined
    w?.resolve(entry)
  }

  private fail(e: Error) {
    this.failure = e
    const w = this.waiting
    this.waiting = undefined
    w?.reject(e)
  }

  private nextEntry(): Promise<yauzl.Entry | null> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.done) return Promise.resolve(null)
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.zip.readEntry()
    })
  }

  /** The next file (folders are skipped), or null at the end. */
  async next(): Promise<ZipFile | null> {
    for (;;) {
      const entry = await this.nextEntry()
      if (entry === null) return null
      const path = entryPath(entry)
      if (path === undefined) continue
      this.total += entry.uncompressedSize
      if (this.total > this.maxTotalBytes) {
        throw new BadZip(`the archive unpacks to more than ${this.maxTotalBytes} bytes`)
      }
      const content = await new Promise<Buffer>((resolve, reject) => {
        this.zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(new BadZip(`cannot read '${path}' (${err?.message ?? "unknown"})`))
          const chunks: Array<Buffer> = []
          stream.on("data", (c: Buffer) => chunks.push(c))
          stream.on("error", (e) => reject(new BadZip(`cannot read '${path}' (${e.message})`)))
          stream.on("end", () => resolve(Buffer.concat(chunks)))
        })
      })
      return { path, content }
    }
  }

  private entries = -1

  /**
   * The next entry whose index (central-directory order) is in `keep`, as a
   * stream, or null at the end: never a whole file in memory. yauzl checks
   * that each stream yields exactly the size the central directory declared.
   * Not to be mixed with `next()` on one reader.
   */
  async nextStream(keep: ReadonlyMap<number, string>): Promise<ZipEntryStream | null> {
    for (;;) {
      const entry = await this.nextEntry()
      if (entry === null) return null
      const index = ++this.entries
      const path = keep.get(index)
      if (path === undefined || entryPath(entry) === undefined) continue
      const stream = () =>
        new Promise<Readable>((resolve, reject) =>
          this.zip.openReadStream(entry, (err, s) =>
            err || !s ? reject(new BadZip(`cannot read '${path}' (${err?.message ?? "unknown"})`)) : resolve(s)
          )
        )
      return { index, path, size: entry.uncompressedSize, stream }
    }
  }

  close(): void {
    this.done = true
    this.zip.close()
  }
}

/** Limits on what an archive may unpack to; each names the flag that raises it. */
export interface UnpackLimits {
  /** Total uncompressed bytes of the files kept (`--max-unpacked`). */
  readonly maxTotalBytes: number
  /** Uncompressed bytes of any one file (`--max-file-size`). */
  readonly maxFileBytes: number
  /** Number of distinct files (`--max-files`). */
  readonly maxFiles: number
}

/** An archive past one of the {@link UnpackLimits}: answered 413. */
export class ZipTooLarge extends Error {
  override readonly name = "ZipTooLarge"
}

/** What a first pass over the central directory found: the entries to unpack. */
export interface ZipPlan {
  /** Indexes (in central-directory order) of the entries to unpack, the last one of each path, with the path each is stored under. */
  readonly keep: ReadonlyMap<number, string>
  readonly files: number
  readonly bytes: number
  /** Entries left out, with why (see `vet`). */
  readonly skipped: ReadonlyArray<string>
}

/** What `planUnpack` does with an entry's path: keep it (under `path`), skip the entry, or refuse the archive. */
export type PathVerdict =
  | { readonly _tag: "Keep"; readonly path: string }
  | { readonly _tag: "Skip"; readonly why: string }
  | { readonly _tag: "Refuse"; readonly why: string }

/** A file of the archive, read as a stream of chunks. */
export interface ZipEntryStream {
  readonly index: number
  readonly path: string
  readonly size: number
  readonly stream: () => Promise<Readable>
}

const openZip = (path: string): Promise<yauzl.ZipFile> =>
  new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: false }, (err, zip) => {
      if (err || !zip) return reject(new BadZip(`not a readable zip file (${err?.message ?? "unknown"})`))
      resolve(zip)
    })
  })

/**
 * An entry's name as written: UTF-8 when flagged (or given in an Info-ZIP
 * Unicode Path field), CP437 otherwise, and backslashes kept. yauzl's own
 * decoding (`decodeStrings`) refuses the whole archive for one `../` or
 * absolute name, and turns `\` into `/`; the node decides per entry instead
 * (see `planUnpack`'s `vet`).
 */
const nameOf = (entry: yauzl.Entry): string =>
  yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true)

/** The path an entry is stored under (`./` prefixes dropped), or undefined for a folder. */
const entryPath = (entry: yauzl.Entry): string | undefined => {
  const name = nameOf(entry)
  return name.endsWith("/") ? undefined : name.replace(/^(\.\/)+/, "")
}

/**
 * Reads only the central directory: refuses an archive past `limits` before
 * a byte is unpacked, and counts a path that occurs twice once (the last
 * entry wins, as when files are written in order). `vet` decides for each
 * path: keep it (perhaps cleaned), skip the entry, or refuse the archive.
 */
export const planUnpack = async (
  path: string,
  limits: UnpackLimits,
  vet: (path: string) => PathVerdict
): Promise<ZipPlan> => {
  const zip = await openZip(path)
  const last = new Map<string, { index: number; size: number }>()
  const skipped: Array<string> = []
  let bytes = 0
  try {
    await new Promise<void>((resolve, reject) => {
      let index = -1
      zip.on("error", (e: Error) => reject(new BadZip(`a broken zip file (${e.message})`)))
      zip.on("end", () => resolve())
      zip.on("entry", (entry: yauzl.Entry) => {
        index++
        const raw = entryPath(entry)
        const verdict = raw === undefined ? undefined : vet(raw)
        if (verdict?._tag === "Refuse") return reject(new BadZip(`unsafe path in the archive: ${verdict.why}`))
        if (verdict?._tag === "Skip") skipped.push(verdict.why)
        if (verdict?._tag === "Keep") {
          const name = verdict.path
          const size = entry.uncompressedSize
          if (size > limits.maxFileBytes) {
            return reject(new ZipTooLarge(`'${name}' unpacks to ${size} bytes, more than the node's limit of ${limits.maxFileBytes} per file (--max-file-size)`))
          }
          const before = last.get(name)
          bytes += size - (before?.size ?? 0)
          last.set(name, { index, size })
          if (last.size > limits.maxFiles) {
            return reject(new ZipTooLarge(`the archive holds more than ${limits.maxFiles} files, the node's limit (--max-files)`))
          }
          if (bytes > limits.maxTotalBytes) {
            return reject(new ZipTooLarge(`the archive unpacks to more than ${limits.maxTotalBytes} bytes, the node's limit (--max-unpacked)`))
          }
        }
        zip.readEntry()
      })
      zip.readEntry()
    })
  } finally {
    zip.close()
  }
  return { keep: new Map([...last].map(([name, e]) => [e.index, name])), files: last.size, bytes, skipped }
}
