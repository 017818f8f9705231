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
      yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: true }, (err, zip) => {
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
      if (entry.fileName.endsWith("/")) continue
      const path = entry.fileName.replace(/^(\.\/)+/, "")
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

  close(): void {
    this.done = true
    this.zip.close()
  }
}
