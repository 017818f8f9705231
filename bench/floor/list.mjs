// The floor of `fazt remote` (the peers table) in plain Node: read the rows,
// mask each token, say how long ago each was seen, print an aligned table.
// usage: node list.mjs <database>
import Database from "better-sqlite3"

const db = new Database(process.argv[2], { readonly: true })
const rows = db.prepare("SELECT name, url, token, is_default, last_status, last_version, last_seen_at FROM peers ORDER BY name").all()
const now = Date.now()
const ago = (t) => {
  if (!t) return "-"
  const s = Math.max(0, Math.round((now - Date.parse(t.replace(" ", "T") + "Z")) / 1000))
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : s < 86400 ? `${Math.floor(s / 3600)}h ago` : `${Math.floor(s / 86400)}d ago`
}
const mask = (t) => (!t ? "-" : t.length < 12 ? "…" : `${t.startsWith("fzt_") ? "fzt_" : t.slice(0, 2)}…${t.slice(-3)}`)
const table = [["", "NAME", "URL", "STATUS", "VERSION", "LAST SEEN", "TOKEN"]]
for (const r of rows) table.push([r.is_default ? "*" : "", r.name, r.url, r.last_status ?? "-", r.last_version ?? "-", ago(r.last_seen_at), mask(r.token)])
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)))
process.stdout.write(table.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n") + "\n")
db.close()
