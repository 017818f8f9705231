import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { clientDb, homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { startNode } from "../support/node.js"
import { hang, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"

const until = async (ready: () => boolean) => {
  for (let i = 0; i < 1000 && !ready(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(ready()).toBe(true)
}

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A node with one key, and a client HOME whose only peer `local` is that node. */
const nodeAndClient = async () => {
  const home = tempHome()
  const db = path.join(home, "node.db")
  const token = (await runFazt(["server", "create-key", "--name", "ux", "--db", db], { home })).stdout.trim()
  const node = await startNode({ db, home })
  cleanups.push(() => node.stop())
  const client = tempHome()
  await runFazt(["remote", "add", "local", node.url, "--token-stdin"], { home: client, stdin: token })
  return { node, client }
}

describe("deploy says where the site lives", () => {
  it("prints http://<site>.localhost:<port>/ for the local node, and url under --json", async () => {
    const { node, client } = await nodeAndClient()
    const dir = path.join(client, "hello")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "index.html"), "<h1>hi</h1>")
    const url = `http://hello.localhost:${node.port}/`

    const human = await runFazt(["remote", "deploy", dir], { home: client })
    expect(human.code).toBe(0)
    expect(human.stdout.trim().split("\n")).toEqual([`Deployed hello to local: 1 files, 11 B`, url])

    const json = await runFazt(["remote", "deploy", dir, "--json"], { home: client })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).data.url).toBe(url)
    expect((await getSite(node.port, "hello", "/")).body.toString()).toBe("<h1>hi</h1>")
  })
})

describe("signals", () => {
  it("SIGTERM during a wait exits 143 (SIGINT stays 130), database consistent", async () => {
    const peer = await scriptedPeer([hang])
    cleanups.push(peer.close)
    const home = await homeWithPeer(peer.url, "fzt_test_token")
    for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
      const seen = peer.seen.length
      let pid = 0
      const running = runFazt(["remote", "status"], { home, onSpawn: (p) => (pid = p) })
      await until(() => peer.seen.length > seen)
      process.kill(pid, signal)
      const r = await running
      expect(r.code, signal).toBe(code)
      expect(r.stderr).not.toContain("error")
    }
    expect(query(clientDb(home), "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }])
  })
})
