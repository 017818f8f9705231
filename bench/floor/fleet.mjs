// The floor of `fazt remote status --all` in plain Node: read the peers,
// ask each for /api/system/health (at most `cap` at once), record what each
// said in one transaction, print a row each. Nothing else.
// usage: node fleet.mjs <database> [cap]
import Database from "better-sqlite3"
import * as http from "node:http"

const [file, capText = "100000"] = process.argv.slice(2)
const cap = Number(capText)
const db = new Database(file)
const peers = db.prepare("SELECT name, url, token FROM peers ORDER BY name").all()
const agent = new http.Agent({ keepAlive: false })
const ask = (p) => new Promise((resolve) => {
  const req = http.get(`${p.url}/api/system/health`, { agent, headers: { authorization: `Bearer ${p.token}`, accept: "application/json" } }, (res) => {
    let body = ""
    res.setEncoding("utf8")
    res.on("data", (c) => (body += c))
    res.on("end", () => {
      try {
        const h = JSON.parse(body).data
        resolve({ p, status: h.status === "healthy" ? "healthy" : "error", version: h.version ?? null })
      } catch {
        resolve({ p, status: "error", version: null })
      }
    })
  })
  req.setTimeout(30_000, () => req.destroy(new Error("timeout")))
  req.on("error", () => resolve({ p, status: "unreachable", version: null }))
})
const results = []
let next = 0
const worker = async () => {
  while (next < peers.length) results.push(await ask(peers[next++]))
}
await Promise.all(Array.from({ length: Math.min(cap, peers.length) }, worker))
const update = db.prepare("UPDATE peers SET last_status = ?, last_version = ?, last_seen_at = datetime('now') WHERE name = ?")
db.transaction(() => { for (const r of results) update.run(r.status, r.version, r.p.name) })()
results.sort((a, b) => (a.p.name < b.p.name ? -1 : 1))
let out = "NAME  URL  STATUS  VERSION\n"
for (const r of results) out += `${r.p.name}  ${r.p.url}  ${r.status}  ${r.version ?? "-"}\n`
process.stdout.write(out)
db.close()
