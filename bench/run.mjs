// `npm run bench`: each figure next to what it is compared with, and the target.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { deployBench, incompressibleFolder, mixedFolder } from "./deploy.mjs"
import { deployManyBench } from "./deployMany.mjs"
import { fleetStatus } from "./fleet.mjs"
import { startup } from "./startup.mjs"

const row = (label, value, against, ratio, target) =>
  console.log(`${label.padEnd(46)} ${value.padEnd(12)} ${against.padEnd(28)} ${ratio.padEnd(12)} ${target}`)

console.log(`fazt remote benchmarks — ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}\n`)
row("figure", "ours", "compared with", "ratio", "target")

const ms = (n) => `${n.toFixed(0)} ms`

/** `status --all` of 100 and 1,000 peers answering in 200 ms, beside one such peer; wall and CPU (user + sys). */
const fleetRows = async () => {
  for (const peers of [100, 1000]) {
    const fleet = await fleetStatus({ peers, delayMs: 200, dead: false, instructions: peers === 100 })
    row(`status --all, ${peers} peers @200 ms`, ms(fleet.all), `one such peer: ${ms(fleet.one)}`, `+${ms(fleet.all - fleet.one)}`, peers === 100 ? "≤ +200 ms" : "(reported)")
    row(`  CPU (user + sys)`, ms(fleet.cpuAll), `one such peer: ${ms(fleet.cpuOne)}`, `+${ms(fleet.cpuAll - fleet.cpuOne)}`, "(load-insensitive)")
    if (fleet.instructionsAll > 0 && fleet.instructionsOne > 0) {
      const M = (n) => `${(n / 1e6).toFixed(0)} M`
      row(`  instructions (valgrind, one run each)`, M(fleet.instructionsAll), `one such peer: ${M(fleet.instructionsOne)}`, `${((fleet.instructionsAll - fleet.instructionsOne) / (peers - 1) / 1e6).toFixed(2)} M/peer`, "(steadiest)")
    }
  }
}

/**
 * 150 × 1 MiB of random bytes to our own node (`fazt server start`), beside
 * `curl -F file=@site.zip` of the same files zipped beforehand to the same
 * node (curl's figure includes the node's work too); then to a sink that only
 * drains the upload, where the client's own cost shows.
 */
const bigDeployRows = async () => {
  const dir = incompressibleFolder(150)
  for (const to of ["node", "sink"]) {
    const big = await deployBench({ dir, against: "zipped", to })
    const where = to === "node" ? "our node" : "a sink"
    row(`deploy 150 × 1 MiB to ${where} (wall)`, ms(big.ours), big.theirs ? `curl -F file=@site.zip: ${ms(big.theirs)}` : "zip/curl missing", big.theirs ? `${(big.ours / big.theirs).toFixed(2)}×` : "-", to === "node" ? "≤ 2.5×" : "(client's own cost)")
    if (big.theirs) row(`  CPU (user + sys)`, ms(big.cpuOurs), `curl: ${ms(big.cpuTheirs)}`, `${(big.cpuOurs / big.cpuTheirs).toFixed(1)}×`, "(load-insensitive)")
    row(`  peak RSS`, `${big.rssBigMiB.toFixed(0)} MiB`, `1-file deploy: ${big.rssTinyMiB.toFixed(0)} MiB`, `+${(big.rssBigMiB - big.rssTinyMiB).toFixed(0)} MiB`, "≤ +32 MiB")
  }
  fs.rmSync(path.dirname(dir), { recursive: true, force: true })
}

/**
 * 60 MB / 3,000 files to 10 loopback peers at once (`--to`), beside the usual
 * deploy of the same folder to one peer; and how often the folder was read.
 */
const deployManyRows = async () => {
  const dir = mixedFolder(60, 3000)
  try {
    const m = await deployManyBench({ dir, rounds: 5 })
    row("deploy 60 MB / 3,000 files to 10 peers (wall)", ms(m.many), `to one peer: ${ms(m.one)}`, `${(m.many / m.one).toFixed(2)}×`, "≤ 1.5×")
    row("  the same to one peer through --to", ms(m.oneFile), `to one peer: ${ms(m.one)}`, `+${ms(m.oneFile - m.one)}`, "(the temporary zip's cost)")
    row("  peak RSS, 10 peers", `${m.rssManyMiB.toFixed(0)} MiB`, `to one peer: ${m.rssOneMiB.toFixed(0)} MiB`, `+${(m.rssManyMiB - m.rssOneMiB).toFixed(0)} MiB`, "(reported)")
    const r = m.reads.many
    row("  folder reads, 10 peers", `${r.opens} opens`, `${m.files} files, ${(m.bytes / 1e6).toFixed(0)} MB`, `${(r.bytes / m.bytes).toFixed(2)}× bytes`, "each file once")
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true })
  }
}

// `npm run bench -- many`: only the deploy to many peers.
if (process.argv[2] === "many") {
  console.log(`load average ${os.loadavg()[0].toFixed(1)}; medians of interleaved runs`)
  await deployManyRows()
  process.exit(0)
}

// `npm run bench -- fleet` or `-- deploy`: only those rows.
if (process.argv[2] === "fleet" || process.argv[2] === "deploy") {
  console.log(`load average ${os.loadavg()[0].toFixed(1)}; medians of interleaved runs`)
  await (process.argv[2] === "fleet" ? fleetRows() : bigDeployRows())
  process.exit(0)
}

const s = await startup()
console.log(`\nstart-up: every process with only ${s.env} set; median of ${s.rounds} rotating runs; load average ${os.loadavg()[0].toFixed(1)}`)
const startupRow = (label, name, target) => {
  const ic = s.instructions[name] && s.instructions.node ? ` (${(s.instructions[name] / 1e6).toFixed(0)} M instr, ${(s.instructions[name] / s.instructions.node).toFixed(2)}×)` : ""
  row(label, `${s.wall[name].toFixed(0)} ms`, `node -e 0: ${s.wall.node.toFixed(0)} ms`, `${(s.wall[name] / s.wall.node).toFixed(2)}×`, `${target}${ic}`)
}
startupRow("`fazt remote` listing 20 peers", "list", "≤ 3.0×")
startupRow("`fazt remote --help`", "help", "≤ 3.0×")
startupRow("`fazt --version`", "version", "≤ 3.0×")
startupRow("@effect/cli floor program `--version`", "floor", "(the floor)")
if (s.instructions.node) console.log(`instructions (valgrind, median of three runs each): node -e 0 ${(s.instructions.node / 1e6).toFixed(0)} M`)
console.log("")
// `npm run bench -- startup` stops here.
if (process.argv[2] === "startup") process.exit(0)

await fleetRows()

const mixed = await deployBench({ dir: mixedFolder(60, 3000) })
row("deploy 60 MB / 3,000 files (wall)", `${mixed.ours.toFixed(0)} ms`, mixed.theirs ? `zip | curl: ${mixed.theirs.toFixed(0)} ms` : "zip/curl missing", mixed.theirs ? `${(mixed.ours / mixed.theirs).toFixed(2)}×` : "-", "≤ 1.5×")
row("deploy 60 MB / 3,000 files (peak RSS)", `${mixed.rssBigMiB.toFixed(0)} MiB`, `1-file deploy: ${mixed.rssTinyMiB.toFixed(0)} MiB`, `+${(mixed.rssBigMiB - mixed.rssTinyMiB).toFixed(0)} MiB`, "≤ +64 MiB")

await deployManyRows()

const fleet30 = await fleetStatus({ peers: 30, delayMs: 400, dead: true })
row("status --all, 30 peers @400 ms + 1 dead", `${fleet30.all.toFixed(0)} ms`, `exit ${fleet30.code}`, "-", "< 3 s, exit ≠ 0")

await bigDeployRows()

const { importCost } = await import("./import.mjs")
const lib = await importCost({ runs: 11 })
row('import("fazt-remote"), clean env (cpu)', `${lib.library.cpu.toFixed(0)} ms`, `import("effect"): ${lib.effect.cpu.toFixed(0)} ms`, `${(lib.library.cpu / lib.effect.cpu).toFixed(2)}×`, "-")
