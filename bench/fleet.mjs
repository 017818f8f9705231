// `fazt remote status --all` against 30 peers that each answer in 400 ms and
// one dead peer: the fleet should cost about one round trip, not thirty.
import { fazt, median, slowPeer, tempDir } from "./lib.mjs"

export const fleetStatus = async ({ peers = 30, delayMs = 400, runs = 5, dead = true } = {}) => {
  const servers = await Promise.all(Array.from({ length: peers }, () => slowPeer(delayMs)))
  const home = tempDir("fleet")
  try {
    for (const [i, s] of servers.entries()) {
      await fazt(["remote", "add", `peer-${i}`, s.url, "--token", "fzt_bench_token_0123456789"], home)
    }
    if (dead) await fazt(["remote", "add", "dead", "http://127.0.0.1:9", "--token", "fzt_bench_token_0123456789"], home)
    const times = []
    const one = []
    let code
    // Alternate the two so drift on the machine hits both alike.
    for (let i = 0; i < runs; i++) {
      const r = await fazt(["remote", "status", "--all", "--retries", "0"], home)
      times.push(r.ms)
      code = r.code
      one.push((await fazt(["remote", "status", "peer-0"], home)).ms)
    }
    return { all: median(times), one: median(one), code }
  } finally {
    await Promise.all(servers.map((s) => s.close()))
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await fleetStatus()
  console.log(`status --all, 30 peers at 400 ms + 1 dead: median ${r.all.toFixed(0)} ms (exit ${r.code}); one peer: ${r.one.toFixed(0)} ms`)
}
