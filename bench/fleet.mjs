// `fazt remote status --all` against N peers that each answer after `delayMs`
// (optionally plus one dead peer), alternating with `status` of one such peer
// from the same database: the fleet should cost about one round trip, not N.
import Database from "better-sqlite3"
import { spawn, spawnSync } from "node:child_process"
import * as path from "node:path"
import { bin, fazt, median, slowPeer, tempDir } from "./lib.mjs"

const TOKEN = "fzt_bench_token_0123456789"

const hasValgrind = spawnSync("valgrind", ["--version"]).status === 0

/**
 * Instructions of one run under callgrind (steadier than time on a shared
 * machine), or NaN without valgrind. Spawned asynchronously: the peers answer
 * from this very process.
 */
const instructionsOf = (args, home) =>
  !hasValgrind ? Promise.resolve(NaN) : new Promise((resolve) => {
    const child = spawn("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, bin, ...args], {
      env: { PATH: process.env.PATH, HOME: home },
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (c) => (stderr += c))
    child.on("close", () => resolve(Number(/Collected : (\d+)/.exec(stderr)?.[1] ?? NaN)))
  })

/**
 * `instructions`: also count, once each, the instructions of `status --all`
 * and of one peer's `status` (~30 s each under valgrind), for the cost of
 * each extra peer.
 */
export const fleetStatus = async ({ peers = 30, delayMs = 400, runs = 7, dead = true, instructions = false } = {}) => {
  const servers = await Promise.all(Array.from({ length: peers }, () => slowPeer(delayMs)))
  const home = tempDir("fleet")
  try {
    // The first through the CLI (it creates the database); the rest written
    // directly, as a thousand `remote add` runs would take minutes.
    await fazt(["remote", "add", "peer-0", servers[0].url, "--token", TOKEN], home)
    const db = new Database(path.join(home, ".fazt", "data.db"))
    const insert = db.prepare("INSERT INTO peers (name, url, token) VALUES (?, ?, ?)")
    db.transaction(() => {
      for (let i = 1; i < peers; i++) insert.run(`peer-${i}`, servers[i].url, TOKEN)
      if (dead) insert.run("dead", "http://127.0.0.1:9", TOKEN)
    })()
    db.close()
    const times = []
    const one = []
    const cpuAll = []
    const cpuOne = []
    let code
    // Alternate the two so drift on the machine hits both alike; the first pair warms up.
    for (let i = 0; i < runs + 1; i++) {
      const r = await fazt(["remote", "status", "--all", "--retries", "0"], home)
      const o = await fazt(["remote", "status", "peer-0"], home)
      if (o.code !== 0) throw new Error(`status peer-0 failed: ${o.stderr}`)
      if (i === 0) continue
      times.push(r.ms)
      cpuAll.push(r.cpuMs)
      code = r.code
      one.push(o.ms)
      cpuOne.push(o.cpuMs)
    }
    const counted = instructions
      ? {
        instructionsAll: await instructionsOf(["remote", "status", "--all", "--retries", "0", "--timeout", "120s"], home),
        instructionsOne: await instructionsOf(["remote", "status", "peer-0", "--timeout", "120s"], home)
      }
      : {}
    return { all: median(times), one: median(one), cpuAll: median(cpuAll), cpuOne: median(cpuOne), code, runs, ...counted }
  } finally {
    await Promise.all(servers.map((s) => s.close()))
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const peers of [100, 1000]) {
    const r = await fleetStatus({ peers, delayMs: 200, dead: false })
    console.log(`status --all, ${peers} peers at 200 ms: median ${r.all.toFixed(0)} ms (exit ${r.code}); one peer: ${r.one.toFixed(0)} ms; +${(r.all - r.one).toFixed(0)} ms`)
  }
}
