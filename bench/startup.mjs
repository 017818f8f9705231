// Whole-process wall time of `fazt remote` listing 20 peers, against `node -e 0`,
// run alternately (A B A B …) so both see the same machine state.
import { fazt, median, tempDir, timed } from "./lib.mjs"

export const startup = async ({ pairs = 15 } = {}) => {
  const home = tempDir("startup")
  for (let i = 0; i < 20; i++) await fazt(["remote", "add", `peer-${i}`, `https://peer-${i}.example`], home)
  const ours = []
  const node = []
  for (let i = 0; i < pairs + 2; i++) {
    const a = await fazt(["remote"], home)
    const b = await timed(process.execPath, ["-e", "0"])
    if (i >= 2) {
      ours.push(a.ms)
      node.push(b.ms)
    }
  }
  return { ours: median(ours), node: median(node) }
}
