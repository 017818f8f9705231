// Start-up of `fazt remote` (20 peers), `fazt remote --help`, `fazt --version`
// and of the @effect/cli floor program (bench/floor/main.ts, bundled and
// launched exactly as fazt is), each against `node -e 0`. Every process runs
// in the same clean environment: variables such as NODE_EXTRA_CA_CERTS make
// every Node start load extra certificates and would flatter the ratios.
// Runs rotate (node, list, help, version, floor, node, …) so all see the same
// machine state; the figures are medians. When valgrind is installed, each
// command's instruction count (the median of three runs; steadier than wall
// time on a shared machine) is printed too.
import { spawnSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync } from "node:fs"
import * as path from "node:path"
import { bundleCli } from "../scripts/bundle-cli.mjs"
import { bin, median, root, tempDir, timed } from "./lib.mjs"

const floorDir = path.join(root, "bench", ".work", "floor")
const floorBin = path.join(floorDir, "bin", "fazt.cjs")

/** The floor program, bundled like dist/fazt.cjs and run by a byte-identical copy of bin/fazt.cjs. */
const buildFloor = async () => {
  mkdirSync(path.dirname(floorBin), { recursive: true })
  copyFileSync(bin, floorBin)
  await bundleCli({ entry: path.join(root, "bench", "floor", "main.ts"), outdir: path.join(floorDir, "dist") })
}

export const startup = async ({ rounds = 25 } = {}) => {
  await buildFloor()
  const home = tempDir("startup")
  // The clean environment, the same for every process measured.
  const env = { PATH: process.env.PATH, HOME: home, LANG: "C.UTF-8" }
  for (let i = 0; i < 20; i++) {
    const added = await timed(process.execPath, [bin, "remote", "add", `peer-${i}`, `https://peer-${i}.example`], { env })
    if (added.code !== 0) throw new Error(`remote add failed: ${added.stderr}`)
  }
  const commands = {
    node: ["-e", "0"],
    list: [bin, "remote"],
    help: [bin, "remote", "--help"],
    version: [bin, "--version"],
    floor: [floorBin, "--version"]
  }
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]))
  // Two rounds to warm the file cache (and let each launcher write its code cache), then measure.
  for (let round = 0; round < rounds + 2; round++) {
    for (const [name, args] of Object.entries(commands)) {
      const run = await timed(process.execPath, args, { env })
      if (run.code !== 0) throw new Error(`${name} exited ${run.code}: ${run.stderr}`)
      if (round >= 2) times[name].push(run.ms)
    }
  }
  const wall = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]))
  // Instruction counts vary by a few per cent from run to run (V8's GC and
  // compiler threads are counted too; `node -e 0` alone spans 82–94 M): the
  // median of three runs each, rotating like the wall-time runs.
  const counts = Object.fromEntries(Object.keys(commands).map((k) => [k, []]))
  if (spawnSync("valgrind", ["--version"]).status === 0) {
    for (let round = 0; round < 3; round++) {
      for (const [name, args] of Object.entries(commands)) {
        const run = spawnSync("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", process.execPath, ...args], { env, encoding: "utf8" })
        const collected = /Collected : (\d+)/.exec(run.stderr)
        if (collected) counts[name].push(Number(collected[1]))
      }
    }
  }
  const instructions = Object.fromEntries(Object.entries(counts).filter(([, xs]) => xs.length > 0).map(([k, xs]) => [k, median(xs)]))
  return { wall, instructions, env: Object.keys(env).join(" "), rounds, floorBuilt: existsSync(floorBin) }
}
