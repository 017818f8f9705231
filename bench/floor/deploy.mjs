// The floor of `fazt remote deploy` in plain Node: walk the folder, zip each
// file (read, CRC, deflate at `level` unless 0 or it does not shrink), and
// stream the zip as a multipart upload with backpressure. Nothing else: no
// ignore rules, no checks, no retries, no progress.
// usage: node deploy.mjs <dir> <url> <token> <site> [level]
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import * as zlib from "node:zlib"

const [dir, url, token, site, levelText = "0"] = process.argv.slice(2)
const level = Number(levelText)
const files = []
const walk = (d, rel) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    if (e.isDirectory()) walk(path.join(d, e.name), rel + e.name + "/")
    else if (e.isFile()) files.push([path.join(d, e.name), rel + e.name])
  }
}
walk(dir, "")
const boundary = "----floor" + Date.now()
const req = http.request(`${url}/api/deploy`, {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": `multipart/form-data; boundary=${boundary}` }
}, (res) => {
  let body = ""
  res.on("data", (c) => (body += c))
  res.on("end", () => process.exit(res.statusCode === 200 ? 0 : (console.error(body), 1)))
})
req.on("error", (e) => (console.error(e), process.exit(1)))
const write = (b) => (req.write(b) ? undefined : new Promise((r) => req.once("drain", r)))
await write(`--${boundary}\r\nContent-Disposition: form-data; name="site_name"\r\n\r\n${site}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${site}.zip"\r\nContent-Type: application/zip\r\n\r\n`)
const central = []
let offset = 0
for (const [full, name] of files) {
  const raw = fs.readFileSync(full)
  const crc = zlib.crc32(raw)
  let data = raw
  let method = 0
  if (level > 0) {
    const packed = zlib.deflateRawSync(raw, { level })
    if (packed.length < raw.length) (data = packed), (method = 8)
  }
  const n = Buffer.from(name)
  const h = Buffer.alloc(30 + n.length)
  h.writeUInt32LE(0x04034b50, 0); h.writeUInt16LE(20, 4); h.writeUInt16LE(0x0800, 6); h.writeUInt16LE(method, 8)
  h.writeUInt32LE(crc, 14); h.writeUInt32LE(data.length, 18); h.writeUInt32LE(raw.length, 22); h.writeUInt16LE(n.length, 26); n.copy(h, 30)
  central.push({ n, crc, method, c: data.length, u: raw.length, offset })
  offset += h.length + data.length
  await write(h)
  await write(data)
}
const dirs = central.map((e) => {
  const c = Buffer.alloc(46 + e.n.length)
  c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(0x0314, 4); c.writeUInt16LE(20, 6); c.writeUInt16LE(0x0800, 8); c.writeUInt16LE(e.method, 10)
  c.writeUInt32LE(e.crc, 16); c.writeUInt32LE(e.c, 20); c.writeUInt32LE(e.u, 24); c.writeUInt16LE(e.n.length, 28)
  c.writeUInt32LE((0o100644 << 16) >>> 0, 38); c.writeUInt32LE(e.offset, 42); e.n.copy(c, 46)
  return c
})
const size = dirs.reduce((s, c) => s + c.length, 0)
const end = Buffer.alloc(22)
end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(central.length, 8); end.writeUInt16LE(central.length, 10); end.writeUInt32LE(size, 12); end.writeUInt32LE(offset, 16)
await write(Buffer.concat([...dirs, end]))
req.end(`\r\n--${boundary}--\r\n`)
