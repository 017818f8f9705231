// `npm run bench`: each figure next to what it is compared with, and the target.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { deployBench, incompressibleFolder, mixedFolder } from "./deploy.mjs"
import { deployManyBench } from "./deployMany.mjs"
import { fleetStatus } from "./fleet.mjs"
import { startup } from "./startup.mjs"
import { deployVersus, fleetVersus, listVersus } from "./versus.mjs"

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

// Issue 26: each figure beside the floor of the same job in plain Node (bench/floor/) and curl.
console.log(`\nversus the floor: ours, the plain-Node floor (bench/floor/*.mjs), curl; only PATH and HOME set; medians of 5 interleaved runs; instructions one callgrind run each; load average ${os.loadavg()[0].toFixed(1)}`)
const M = (n) => (Number.isFinite(n) ? `${(n / 1e6).toFixed(0)} M` : "-")
const x = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : "-")
const K = (n) => `${(n / 1000).toFixed(0)} K`

const big = incompressibleFolder(150)
// Random bytes: ours at its default stores them (it sees they do not compress); the floor stores them (level 0).
const b = await deployVersus({ dir: big, level: undefined, floorLevel: 0 })
fs.rmSync(path.dirname(big), { recursive: true, force: true })
row("deploy 150 × 1 MiB to a draining peer (wall)", ms(b.ours.ms), `floor ${ms(b.floor.ms)}, curl ${ms(b.curl.ms)}`, `${x(b.ours.ms, b.floor.ms)} / ${x(b.ours.ms, b.curl.ms)}`, "≤ 1.3× the floor")
row("  CPU (user + sys)", ms(b.ours.cpu), `floor ${ms(b.floor.cpu)}`, x(b.ours.cpu, b.floor.cpu), "(load-insensitive)")
row("  instructions", M(b.ours.instr), `floor ${M(b.floor.instr)}`, x(b.ours.instr, b.floor.instr), "(steadiest)")
row("  peak RSS", `${(b.ours.rss / 1024).toFixed(0)} MiB`, `floor ${(b.floor.rss / 1024).toFixed(0)} MiB`, "-", "(streaming)")

const text = mixedFolder(60, 3000)
const t = await deployVersus({ dir: text, level: undefined, floorLevel: 3 })
fs.rmSync(path.dirname(text), { recursive: true, force: true })
row("deploy 3,000 × 20 KB, default (level 3) (wall)", ms(t.ours.ms), `floor@3 ${ms(t.floor.ms)}, zip -3 + curl ${ms(t.curl.ms)}`, `${x(t.ours.ms, t.floor.ms)} / ${x(t.ours.ms, t.curl.ms)}`, "≤ 1.2× the floor")
row("  CPU (user + sys)", ms(t.ours.cpu), `floor ${ms(t.floor.cpu)}`, x(t.ours.cpu, t.floor.cpu), "(load-insensitive)")
row("  instructions", M(t.ours.instr), `floor ${M(t.floor.instr)}`, x(t.ours.instr, t.floor.instr), "(steadiest)")

const f100 = await fleetVersus({ peers: 100, count: true })
const per = (r) => (r.many.instr - r.one.instr) / 99
const M2 = (n) => (Number.isFinite(n) ? `${(n / 1e6).toFixed(2)} M` : "-")
row("status --all, 100 peers @200 ms: instr/peer", M2(per(f100.ours)), `floor ${M2(per(f100.floor))}`, x(per(f100.ours), per(f100.floor)), "≤ 1.5× the floor")
row("  wall over one peer", `+${ms(f100.ours.many.ms - f100.ours.one.ms)}`, `floor +${ms(f100.floor.many.ms - f100.floor.one.ms)}`, "-", "(reported)")
const f1000 = await fleetVersus({ peers: 1000 })
row("status --all, 1,000 peers @200 ms (wall over one)", `+${ms(f1000.ours.many.ms - f1000.ours.one.ms)}`, `floor +${ms(f1000.floor.many.ms - f1000.floor.one.ms)}`, "-", "≤ +600 ms")
const rssPer = (r) => (r.many.rss - r.one.rss) / 999
row("  peak RSS per peer", `${rssPer(f1000.ours).toFixed(1)} KiB`, `floor ${rssPer(f1000.floor).toFixed(1)} KiB`, x(rssPer(f1000.ours), rssPer(f1000.floor)), "≤ 5 KiB")
row("  CPU over one peer", `+${ms(f1000.ours.many.cpu - f1000.ours.one.cpu)}`, `floor +${ms(f1000.floor.many.cpu - f1000.floor.one.cpu)}`, "-", "(load-insensitive)")

const l = await listVersus({ rows: 10_000 })
const perRow = (r) => (r.many - r.one) / 9999
row("listing 10,000 peers: instr/row", K(perRow(l.ours)), `floor ${K(perRow(l.floor))}`, x(perRow(l.ours), perRow(l.floor)), "≤ 2× the floor")

await deployManyRows()

const fleet30 = await fleetStatus({ peers: 30, delayMs: 400, dead: true })
row("status --all, 30 peers @400 ms + 1 dead", `${fleet30.all.toFixed(0)} ms`, `exit ${fleet30.code}`, "-", "< 3 s, exit ≠ 0")

const { importCost } = await import("./import.mjs")
const lib = await importCost({ runs: 11 })
row('import("fazt-remote"), clean env (cpu)', `${lib.library.cpu.toFixed(0)} ms`, `import("effect"): ${lib.effect.cpu.toFixed(0)} ms`, `${(lib.library.cpu / lib.effect.cpu).toFixed(2)}×`, "-")
console.log(`load average at the end ${os.loadavg().map((n) => n.toFixed(1)).join(", ")}`)
