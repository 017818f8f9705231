// `fazt remote deploy` against our own node (`fazt server start`) or a sink
// that drains the upload, next to curl sending the same files (zipped
// beforehand, or by `zip` in a pipe) to the same target, with peak RSS and CPU
// time of each.
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { execFileSync, spawn } from "node:child_process"
import { bin, fazt, median, tempDir, timed } from "./lib.mjs"

/** Answers every deploy like a fazt node, after reading (and dropping) the whole body. */
export const sink = async () => {
  let received = 0
  const server = http.createServer((req, res) => {
    let bytes = 0
    req.on("data", (c) => (bytes += c.length))
    req.on("end", () => {
      received += bytes
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ data: { site: "bench", file_count: 1, size_bytes: bytes, message: "ok" } }))
    })
  })
  await new Promise((r) => server.listen(0, "127.0.0.1", r))
  return { url: `http://127.0.0.1:${server.address().port}`, received: () => received, close: () => new Promise((r) => server.close(r)) }
}

/**
 * Our own node, `fazt server start` on a free loopback port, with limits wide
 * enough for the benchmark (150 MB, no deploy rate limit) and a fresh key.
 */
export const ownNode = async () => {
  const home = tempDir("node")
  const db = path.join(home, "node.db")
  const env = { PATH: process.env.PATH, HOME: home }
  const key = execFileSync(process.execPath, [bin, "server", "create-key", "--name", "bench", "--db", db], { env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  const child = spawn(
    process.execPath,
    [bin, "server", "start", "--port", "0", "--db", db, "--max-upload", "1GB", "--max-unpacked", "1GB", "--deploys-per-minute", "0"],
    { env, cwd: home, stdio: ["ignore", "ignore", "pipe"] }
  )
  const url = await new Promise((resolve, reject) => {
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (c) => {
      stderr += c
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)
      if (m) resolve(m[1])
    })
    child.on("exit", (code) => reject(new Error(`node exited with ${code}: ${stderr}`)))
  })
  return {
    url,
    home,
    token: key,
    close: () => new Promise((r) => {
      child.removeAllListeners("exit")
      child.once("exit", r)
      child.kill("SIGTERM")
    })
  }
}

/** Random bytes: what deflate cannot shrink. */
export const incompressibleFolder = (totalMiB, fileMiB = 1) => {
  const dir = path.join(tempDir("site"), "bench")
  fs.mkdirSync(dir)
  for (let i = 0; i < totalMiB / fileMiB; i++) fs.writeFileSync(path.join(dir, `blob-${i}.bin`), randomBytes(fileMiB * 1024 * 1024))
  return dir
}

/** `files` files adding up to `totalMiB`: a third random, two thirds text. */
export const mixedFolder = (totalMiB, files) => {
  const dir = path.join(tempDir("site"), "bench")
  const per = Math.floor((totalMiB * 1024 * 1024) / files)
  const words = "the quick brown fox jumps over the lazy dog while fazt deploys a static site to its peers ".repeat(64)
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${i % 30}`)
    fs.mkdirSync(sub, { recursive: true })
    const content = i % 3 === 0 ? randomBytes(per) : Buffer.from(words.repeat(Math.ceil(per / words.length)).slice(0, per))
    fs.writeFileSync(path.join(sub, `f${i}.${i % 3 === 0 ? "bin" : "html"}`), content)
  }
  return dir
}

const has = (command, args) => {
  try {
    execFileSync(command, args, { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/**
 * `fazt remote deploy` of `dir`, alternating with the comparison under the
 * same clean environment (only PATH and HOME): `against: "zipped"` is
 * `curl -F file=@site.zip` of the same files zipped beforehand (the cost of
 * sending the bytes); `"zip-pipe"` is `zip -qr - . | curl -F file=@-`. The
 * first pair warms the page cache and is dropped. Peak RSS of each deploy,
 * and of a one-file deploy beside it.
 */
export const deployBench = async ({ dir, pairs = 9, against = "zip-pipe", to = "sink" }) => {
  const target = to === "node" ? await ownNode() : await sink()
  const token = target.token ?? "fzt_bench_token_0123456789"
  const home = tempDir("deploy-home")
  const env = { PATH: process.env.PATH, HOME: home }
  const zipped = path.join(tempDir("zipped"), "site.zip")
  try {
    await fazt(["remote", "add", "sink", target.url, "--token", token], home)
    const tiny = path.join(tempDir("tiny"), "tiny")
    fs.mkdirSync(tiny)
    fs.writeFileSync(path.join(tiny, "index.html"), "<h1>one file</h1>")
    const zipOk = has("zip", ["-v"]) && has("curl", ["--version"])
    if (zipOk && against === "zipped") execFileSync("zip", ["-qr", zipped, "."], { cwd: dir })
    const theirsCommand = against === "zipped"
      ? ["curl", ["-sf", "-o", "/dev/null", "-H", `Authorization: Bearer ${token}`, "-F", "site_name=bench", "-F", `file=@${zipped}`, `${target.url}/api/deploy`]]
      : ["sh", ["-c", `cd "${dir}" && zip -qr - . | curl -sf -o /dev/null -H "Authorization: Bearer ${token}" -F site_name=bench -F "file=@-;filename=bench.zip" ${target.url}/api/deploy`]]
    const ours = []
    const theirs = []
    const rssBig = []
    const rssTiny = []
    const cpuOurs = []
    const cpuTheirs = []
    for (let i = 0; i < pairs + 1; i++) {
      const a = await fazt(["remote", "deploy", dir, "sink", "--name", "bench", "--retries", "0"], home)
      if (a.code !== 0) throw new Error(`deploy failed: ${a.stderr}`)
      const b = zipOk ? await timed(theirsCommand[0], theirsCommand[1], { env }) : undefined
      if (b && b.code !== 0) throw new Error(`curl failed (${b.code}): ${b.stderr}`)
      const t = await fazt(["remote", "deploy", tiny, "sink", "--name", "bench", "--retries", "0"], home)
      if (i === 0) continue
      ours.push(a.ms)
      cpuOurs.push(a.cpuMs)
      rssBig.push(a.rssKiB)
      if (b) theirs.push(b.ms)
      if (b) cpuTheirs.push(b.cpuMs)
      rssTiny.push(t.rssKiB)
    }
    return {
      ours: median(ours),
      theirs: zipOk ? median(theirs) : undefined,
      cpuOurs: median(cpuOurs),
      cpuTheirs: zipOk ? median(cpuTheirs) : undefined,
      rssBigMiB: median(rssBig) / 1024,
      rssTinyMiB: median(rssTiny) / 1024,
      runs: pairs
    }
  } finally {
    await target.close()
    fs.rmSync(path.dirname(zipped), { recursive: true, force: true })
    if (target.home) fs.rmSync(target.home, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await deployBench({ dir: incompressibleFolder(150), against: "zipped", to: process.argv[2] ?? "node", pairs: Number(process.argv[3] ?? 9) })
  console.log(r)
}
