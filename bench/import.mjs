// Import cost of the library: a clean Node process that only does
// `await import("fazt-remote")`, against one that imports `effect` alone and
// against `node -e 0`, run alternately. A clean environment (PATH and HOME
// only), since NODE_EXTRA_CA_CERTS and the like slow every start alike. CPU
// time (user + system) is reported beside wall time: on a loaded machine it
// is the steadier of the two.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { median, root } from "./lib.mjs"

const clean = { PATH: process.env.PATH, HOME: process.env.HOME }
const importing = (specifier) => ["--input-type=module", "-e", `await import(${JSON.stringify(specifier)})`]

const measure = (args) =>
  new Promise((resolve, reject) => {
    const useTime = fs.existsSync("/usr/bin/time")
    const started = process.hrtime.bigint()
    const child = spawn(useTime ? "/usr/bin/time" : process.execPath, useTime ? ["-f", "%U %S", process.execPath, ...args] : args, {
      env: clean,
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (c) => (stderr += c))
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(stderr))
      const wall = Number(process.hrtime.bigint() - started) / 1e6
      const [user, sys] = stderr.trim().split("\n").at(-1).split(" ").map(Number)
      resolve({ wall, cpu: useTime ? (user + sys) * 1000 : NaN })
    })
  })

export const importCost = async ({ runs = 21 } = {}) => {
  const runsOf = { library: [], effect: [], node: [] }
  for (let i = 0; i < runs + 2; i++) {
    const library = await measure(importing("fazt-remote"))
    const effect = await measure(importing("effect"))
    const node = await measure(["-e", "0"])
    if (i < 2) continue // warm the file cache first
    runsOf.library.push(library)
    runsOf.effect.push(effect)
    runsOf.node.push(node)
  }
  const summary = (xs) => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) })
  return { library: summary(runsOf.library), effect: summary(runsOf.effect), node: summary(runsOf.node) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await importCost()
  const line = (label, x) =>
    `${label.padEnd(24)} wall ${x.wall.toFixed(0).padStart(5)} ms   cpu ${x.cpu.toFixed(0).padStart(5)} ms`
  console.log(line("node -e 0", r.node))
  console.log(line('import("effect")', r.effect))
  console.log(line('import("fazt-remote")', r.library))
  console.log(
    `fazt-remote / effect: wall ${(r.library.wall / r.effect.wall).toFixed(2)}×, cpu ${(r.library.cpu / r.effect.cpu).toFixed(2)}×; ` +
      `above node -e 0: fazt-remote +${(r.library.cpu - r.node.cpu).toFixed(0)} ms cpu, effect +${(r.effect.cpu - r.node.cpu).toFixed(0)} ms cpu`
  )
}
