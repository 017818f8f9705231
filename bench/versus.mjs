// Issue 26: each figure of ours beside the floor of the same job in plain
// Node (bench/floor/*.mjs) and, for deploys, curl sending the zip built
// beforehand. Every process runs with only PATH and HOME set (NODE_OPTIONS,
// NODE_EXTRA_CA_CERTS and the like slow or change a Node start); wall and CPU
// are medians of interleaved runs, instructions one callgrind run each.
import Database from "better-sqlite3"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { sink } from "./deploy.mjs"
import { bin, fazt, median, root, slowPeer, tempDir, timed } from "./lib.mjs"

const TOKEN = "fzt_bench_token_0123456789"
const floor = (name) => path.join(root, "bench", "floor", name)
export const hasValgrind = spawnSync("valgrind", ["--version"]).status === 0
const cleanEnv = (home) => ({ PATH: process.env.PATH, HOME: home })

/** Instructions of one run under callgrind, or NaN without valgrind. Asynchronous: servers may answer from this process. */
export const instructions = (command, args, home) =>
  !hasValgrind ? Promise.resolve(NaN) : new Promise((resolve) => {
    const child = spawn("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", command, ...args], { env: cleanEnv(home), stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (c) => (stderr += c))
    child.on("close", () => resolve(Number(/Collected : (\d+)/.exec(stderr)?.[1] ?? NaN)))
  })

const node = process.execPath

/**
 * One folder deployed to a sink that only drains the upload: ours (at
 * `--compression level`), the floor at the same level, and curl sending the
 * same files zipped beforehand at that level (`zip -<level>`).
 */
export const deployVersus = async ({ dir, level, floorLevel = level, runs = 5 }) => {
  const target = await sink()
  const home = tempDir("vs-deploy")
  const zipped = path.join(tempDir("vs-zip"), "site.zip")
  try {
    await fazt(["remote", "add", "sink", target.url, "--token", TOKEN], home)
    execFileSync("zip", [`-q${floorLevel}r`, zipped, "."], { cwd: dir })
    // `level` undefined: ours at its default compression.
    const ours = ["remote", "deploy", dir, "sink", "--name", "bench", "--retries", "0", ...(level === undefined ? [] : ["--compression", String(level)])]
    const theirs = [floor("deploy.mjs"), dir, target.url, TOKEN, "bench", String(floorLevel)]
    const curl = ["-sf", "-o", "/dev/null", "-H", `Authorization: Bearer ${TOKEN}`, "-F", "site_name=bench", "-F", `file=@${zipped}`, `${target.url}/api/deploy`]
    const o = [], f = [], c = []
    for (let i = 0; i < runs + 1; i++) {
      const a = await timed(node, [bin, ...ours], { env: cleanEnv(home) })
      if (a.code !== 0) throw new Error(`deploy failed: ${a.stderr}`)
      const b = await timed(node, theirs, { env: cleanEnv(home) })
      if (b.code !== 0) throw new Error(`floor failed: ${b.stderr}`)
      const d = await timed("curl", curl, { env: cleanEnv(home) })
      if (i === 0) continue // warms the page cache
      o.push(a), f.push(b), c.push(d)
    }
    const m = (xs, k) => median(xs.map((x) => x[k]))
    return {
      ours: { ms: m(o, "ms"), cpu: m(o, "cpuMs"), rss: m(o, "rssKiB"), instr: await instructions(node, [bin, ...ours], home) },
      floor: { ms: m(f, "ms"), cpu: m(f, "cpuMs"), rss: m(f, "rssKiB"), instr: await instructions(node, theirs, home) },
      curl: { ms: m(c, "ms"), cpu: m(c, "cpuMs") }
    }
  } finally {
    await target.close()
    fs.rmSync(home, { recursive: true, force: true })
    fs.rmSync(path.dirname(zipped), { recursive: true, force: true })
  }
}

/** A client database with `count` peers at `urls` (cycled), written directly. */
const peersHome = async (urls, count) => {
  const home = tempDir("vs-peers")
  await fazt(["remote", "add", "peer-0", urls[0], "--token", TOKEN], home)
  const file = path.join(home, ".fazt", "data.db")
  const db = new Database(file)
  const insert = db.prepare("INSERT INTO peers (name, url, token, last_seen_at, last_status, last_version) VALUES (?, ?, ?, datetime('now'), 'healthy', '0.29.0')")
  db.transaction(() => { for (let i = 1; i < count; i++) insert.run(`peer-${i}`, urls[i % urls.length], TOKEN) })()
  db.close()
  return { home, file }
}

/** `status --all` of `peers` peers answering after `delayMs`, and of one, beside the floor's; wall, CPU, peak RSS; instructions when asked. */
export const fleetVersus = async ({ peers, delayMs = 200, runs = 5, count = false }) => {
  const servers = await Promise.all(Array.from({ length: peers }, () => slowPeer(delayMs)))
  const many = await peersHome(servers.map((s) => s.url), peers)
  const one = await peersHome([servers[0].url], 1)
  try {
    const ours = (h) => [bin, "remote", "status", "--all", "--retries", "0", "--timeout", "120s"]
    const theirs = (h) => [floor("fleet.mjs"), h.file]
    const rows = { ours: { many: [], one: [] }, floor: { many: [], one: [] } }
    for (let i = 0; i < runs + 1; i++) {
      for (const [who, args] of [["ours", ours], ["floor", theirs]]) {
        for (const [size, h] of [["many", many], ["one", one]]) {
          const r = await timed(node, args(h), { env: cleanEnv(h.home) })
          if (r.code !== 0) throw new Error(`${who} ${size} failed (${r.code}): ${r.stderr}`)
          if (i > 0) rows[who][size].push(r)
        }
      }
    }
    const sum = (xs) => ({ ms: median(xs.map((x) => x.ms)), cpu: median(xs.map((x) => x.cpuMs)), rss: median(xs.map((x) => x.rssKiB)) })
    const out = { ours: { many: sum(rows.ours.many), one: sum(rows.ours.one) }, floor: { many: sum(rows.floor.many), one: sum(rows.floor.one) } }
    if (count) {
      out.ours.many.instr = await instructions(node, ours(many), many.home)
      out.ours.one.instr = await instructions(node, ours(one), one.home)
      out.floor.many.instr = await instructions(node, theirs(many), many.home)
      out.floor.one.instr = await instructions(node, theirs(one), one.home)
    }
    return out
  } finally {
    await Promise.all(servers.map((s) => s.close()))
    for (const h of [many, one]) fs.rmSync(h.home, { recursive: true, force: true })
  }
}

/** `fazt remote` (the listing) of `rows` peers and of one, beside the floor's: instructions per extra row. */
export const listVersus = async ({ rows = 10_000 }) => {
  const many = await peersHome(["http://127.0.0.1:9"], rows)
  const one = await peersHome(["http://127.0.0.1:9"], 1)
  try {
    const ours = (h) => instructions(node, [bin, "remote"], h.home)
    const theirs = (h) => instructions(node, [floor("list.mjs"), h.file], h.home)
    return { ours: { many: await ours(many), one: await ours(one) }, floor: { many: await theirs(many), one: await theirs(one) } }
  } finally {
    for (const h of [many, one]) fs.rmSync(h.home, { recursive: true, force: true })
  }
}
