import * as zlib from "node:zlib"
import yauzl from "yauzl"
import { ZipReader } from "../../src/services/zip/zipReader.js"

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

const crc32 = (data: Buffer): number => {
  let c = 0xffffffff
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

interface RawEntry {
  readonly name: string
  /** The bytes as stored (deflated when `method` is 8). */
  readonly data: Buffer
  readonly crc: number
  /** The size once unpacked. */
  readonly size: number
  /** 0 stored, 8 deflated. */
  readonly method: 0 | 8
  /** General-purpose bit 11: the name is UTF-8 (else readers decode it as CP437). */
  readonly utf8?: boolean
}

/** Local headers, central directory and end record, written byte by byte. */
const rawZip = (entries: ReadonlyArray<RawEntry>): Buffer => {
  const locals: Array<Buffer> = []
  const centrals: Array<Buffer> = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    if (e.utf8) local.writeUInt16LE(0x0800, 6)
    local.writeUInt16LE(e.method, 8)
    local.writeUInt32LE(e.crc, 14)
    local.writeUInt32LE(e.data.length, 18)
    local.writeUInt32LE(e.size, 22)
    local.writeUInt16LE(name.length, 26)
    locals.push(local, name, e.data)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    if (e.utf8) central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(e.method, 10)
    central.writeUInt32LE(e.crc, 16)
    central.writeUInt32LE(e.data.length, 20)
    central.writeUInt32LE(e.size, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    offset += 30 + name.length + e.data.length
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(centralSize, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, ...centrals, end])
}

/**
 * A stored (uncompressed) zip written byte by byte, so tests can make the
 * archives no well-behaved tool would: `../` entries, absolute paths.
 */
export const handMadeZip = (entries: ReadonlyArray<{ name: string; content: string | Buffer; utf8?: boolean }>): Buffer =>
  rawZip(entries.map((e) => {
    const data = Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content)
    return { name: e.name, data, crc: crc32(data), size: data.length, method: 0, utf8: e.utf8 ?? false }
  }))

/**
 * A zip whose entries are deflated, each declaring `size` bytes of zeros:
 * small on the wire, huge unpacked.
 */
export const zerosZip = (entries: ReadonlyArray<{ name: string; size: number }>): Buffer => {
  const cache = new Map<number, { data: Buffer; crc: number }>()
  return rawZip(entries.map((e) => {
    let hit = cache.get(e.size)
    if (!hit) {
      const plain = Buffer.alloc(e.size)
      hit = { data: zlib.deflateRawSync(plain, { level: 9 }), crc: zlib.crc32(plain) }
      cache.set(e.size, hit)
    }
    return { name: e.name, data: hit.data, crc: hit.crc, size: e.size, method: 8 }
  }))
}

/** Every file in a zip on disk: path → content. */
export const readZip = async (file: string): Promise<Map<string, Buffer>> => {
  const reader = await ZipReader.open(file, 1 << 30)
  const out = new Map<string, Buffer>()
  try {
    for (let f = await reader.next(); f !== null; f = await reader.next()) out.set(f.path, f.content)
  } finally {
    reader.close()
  }
  return out
}

/** A multipart deploy request as fazt's client sends it, for hand-made archives. */
export const postDeploy = async (url: string, token: string, site: string, zip: Buffer, filename = `${site}.zip`) => {
  const form = new FormData()
  form.set("site_name", site)
  form.set("file", new Blob([zip], { type: "application/zip" }), filename)
  const res = await fetch(`${url}/api/deploy`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form })
  return { status: res.status, body: (await res.json()) as { data?: unknown; error?: { code: string; message: string } } }
}

/** Each entry's compression method: 0 stored, 8 deflated. */
export const compressionMethods = (file: string): Promise<Record<string, number>> =>
  new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err)
      const out: Record<string, number> = {}
      zip.on("entry", (e: yauzl.Entry) => {
        out[e.fileName] = e.compressionMethod
        zip.readEntry()
      })
      zip.on("end", () => resolve(out))
      zip.on("error", reject)
      zip.readEntry()
    })
  })
