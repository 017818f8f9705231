// One folder deployed to 10 loopback peers at once (`--to p0,…,p9`), beside
// the same folder to one peer: the zip is made once (into a temporary file
// each upload reads), so ten uploads should cost little more than one. The
// peers are sinks that read the whole upload and answer as fazt does (ten
// nodes unpacking 60 MB each would measure the nodes, on a 2-core machine).
// Every run also counts how often the folder's files are opened and how many
// of their bytes are read (bench/countOpens.cjs), to show it is read once.
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { fazt, median, tempDir } from "./lib.mjs"
import { mixedFolder, sink } from "./deploy.mjs"

const counter = fileURLToPath(new URL("./countOpens.cjs", import.meta.url))
const TOKEN = "fzt_bench_token_0123456789"

const readsOf = (stderr) => {
  const m = /bench-folder-reads opens=(\d+) bytes=(\d+)/.exec(stderr)
  return m ? { opens: Number(m[1]), bytes: Number(m[2]) } : { opens: NaN, bytes: NaN }
}

/**
 * Interleaved runs (the first round warms the page cache and is dropped):
 * `one` the usual streaming deploy to one peer; `oneFile` the same through
 * `--to` (zip to a temporary file first: what the file costs); `many` `--to`
 * all ten. Medians of wall time; folder reads of each kind's last run.
 */
export const deployManyBench = async ({ peers = 10, rounds = 5, dir = mixedFolder(60, 3000) } = {}) => {
  const sinks = await Promise.all(Array.from({ length: peers }, () => sink()))
  const home = tempDir("many-home")
  const names = sinks.map((_, i) => `p${i}`)
  try {
    for (const [i, s] of sinks.entries()) {
      const r = await fazt(["remote", "add", names[i], s.url, "--token", TOKEN], home)
      if (r.code !== 0) throw new Error(`remote add failed: ${r.stderr}`)
    }
    const env = { NODE_OPTIONS: `--require ${counter}`, FAZT_BENCH_FOLDER: fs.realpathSync(dir) }
    const files = fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).length
    const bytes = fs.readdirSync(dir, { recursive: true }).map((f) => fs.statSync(path.join(dir, f))).filter((s) => s.isFile()).reduce((n, s) => n + s.size, 0)
    const kinds = {
      one: ["remote", "deploy", dir, "p0", "--name", "bench", "--retries", "0"],
      oneFile: ["remote", "deploy", dir, "--to", "p0", "--name", "bench", "--retries", "0"],
      many: ["remote", "deploy", dir, "--to", names.join(","), "--name", "bench", "--retries", "0"]
    }
    const wall = { one: [], oneFile: [], many: [] }
    const rss = { one: [], oneFile: [], many: [] }
    const reads = {}
    for (let round = 0; round < rounds + 1; round++) {
      for (const [kind, args] of Object.entries(kinds)) {
        const received = sinks.map((s) => s.received())
        const r = await fazt(args, home, env)
        if (r.code !== 0) throw new Error(`${kind} failed (${r.code}): ${r.stderr}`)
        const zipped = sinks.map((s, i) => s.received() - received[i]).filter((n) => n > 0)
        reads[kind] = { ...readsOf(r.stderr), peersReached: zipped.length }
        if (round > 0) wall[kind].push(r.ms)
        if (round > 0) rss[kind].push(r.rssKiB / 1024)
      }
    }
    return {
      files,
      bytes,
      one: median(wall.one),
      oneFile: median(wall.oneFile),
      many: median(wall.many),
      rssOneMiB: median(rss.one),
      rssManyMiB: median(rss.many),
      reads,
      rounds
    }
  } finally {
    await Promise.all(sinks.map((s) => s.close()))
    fs.rmSync(home, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mixedFolder(60, 3000)
  try {
    console.log(JSON.stringify(await deployManyBench({ dir, rounds: Number(process.argv[2] ?? 5) }), null, 1))
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true })
  }
}
