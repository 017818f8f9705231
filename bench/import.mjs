// Import cost of the library: a clean Node process that only does
// `await import("fazt-remote")`, against one that imports `effect` alone and
// against `node -e 0`, run alternately. A clean environment (PATH and HOME
// only), since NODE_EXTRA_CA_CERTS and the like slow every start alike.
import { median, root, timed } from "./lib.mjs"

const clean = { PATH: process.env.PATH, HOME: process.env.HOME }
const importing = (specifier) => ["--input-type=module", "-e", `await import(${JSON.stringify(specifier)})`]

export const importCost = async ({ runs = 21 } = {}) => {
  const samples = { library: [], effect: [], node: [] }
  for (let i = 0; i < runs + 2; i++) {
    const library = await timed(process.execPath, importing("fazt-remote"), { env: clean, cwd: root })
    const effect = await timed(process.execPath, importing("effect"), { env: clean, cwd: root })
    const node = await timed(process.execPath, ["-e", "0"], { env: clean, cwd: root })
    for (const r of [library, effect, node]) if (r.code !== 0) throw new Error(r.stderr)
    if (i < 2) continue // warm the file cache first
    samples.library.push(library.ms)
    samples.effect.push(effect.ms)
    samples.node.push(node.ms)
  }
  return { library: median(samples.library), effect: median(samples.effect), node: median(samples.node) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await importCost()
  console.log(`node -e 0:                 ${r.node.toFixed(1)} ms`)
  console.log(`import("effect"):          ${r.effect.toFixed(1)} ms  (+${(r.effect - r.node).toFixed(1)} ms over node)`)
  console.log(`import("fazt-remote"):     ${r.library.toFixed(1)} ms  (+${(r.library - r.node).toFixed(1)} ms over node, ${(r.library / r.effect).toFixed(2)}× effect's whole process, ${((r.library - r.node) / (r.effect - r.node)).toFixed(2)}× effect's own import time)`)
}
