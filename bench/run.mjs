// `npm run bench`: prints each figure next to what it is compared with.
import { deployBench, incompressibleFolder } from "./deploy.mjs"
import { fleetStatus } from "./fleet.mjs"

const row = (label, value, against, verdict) => console.log(`${label.padEnd(44)} ${value.padEnd(22)} ${against.padEnd(40)} ${verdict}`)

const fleet = await fleetStatus()
row("status --all: 30 peers @400 ms + 1 dead", `${fleet.all.toFixed(0)} ms (exit ${fleet.code})`, `one peer: ${fleet.one.toFixed(0)} ms`, `+${(fleet.all - fleet.one).toFixed(0)} ms`)

const big = await deployBench({ dir: incompressibleFolder(150) })
row("deploy 150 MB incompressible: peak RSS", `${big.rssBigMiB.toFixed(0)} MiB`, `1-file deploy: ${big.rssTinyMiB.toFixed(0)} MiB`, `+${(big.rssBigMiB - big.rssTinyMiB).toFixed(0)} MiB (limit +64)`)
row("deploy 150 MB incompressible: wall time", `${big.ours.toFixed(0)} ms`, big.theirs ? `zip | curl: ${big.theirs.toFixed(0)} ms` : "zip/curl not installed", big.theirs ? `${(big.ours / big.theirs).toFixed(2)}×` : "-")
