import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { type RunningNode, startNode } from "../support/node.js"
import { json, loopbackServer, scriptedPeer } from "../support/scriptedPeer.js"

// `fazt remote deploy <dir> --to a,b,c` and `--all`: one folder to many peers,
// scanned and zipped once; a peer that fails does not stop the others; the
// exit code follows `status --all`'s rule (README "Output and exit codes").

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** Our node with a fresh key. */
const keyedNode = async (): Promise<{ node: RunningNode; token: string }> => {
  const home = tempHome()
  const db = path.join(home, "node.db")
  const token = (await runFazt(["server", "create-key", "--name", "test", "--db", db], { home })).stdout.trim()
  const node = await startNode({ db, home })
  cleanups.push(() => node.stop())
  return { node, token }
}

const addPeer = async (home: string, name: string, url: string, token: string) => {
  const r = await runFazt(["remote", "add", name, url, "--token-stdin"], { home, stdin: token })
  if (r.code !== 0) throw new Error(r.stderr)
}

/** Two of our nodes and a peer that refuses every deploy as too large (413, fazt's envelope). */
const threePeers = async () => {
  const a = await keyedNode()
  const b = await keyedNode()
  const big = await scriptedPeer([json(413, { error: { code: "PAYLOAD_TOO_LARGE", message: "the upload is over 10 MB" } })])
  cleanups.push(big.close)
  const client = tempHome()
  await addPeer(client, "alpha", a.node.url, a.token)
  await addPeer(client, "beta", b.node.url, b.token)
  await addPeer(client, "small", big.url, "fzt_many_test_token_0123456789")
  const dir = path.join(client, "fleet-site")
  fs.mkdirSync(path.join(dir, "css"), { recursive: true })
  fs.writeFileSync(path.join(dir, "index.html"), "<h1>everywhere</h1>")
  fs.writeFileSync(path.join(dir, "css", "site.css"), "body{}")
  return { a, b, big, client, dir }
}

describe("deploy to many peers at once", () => {
  it("--to a,b,c: two served, the refusing peer named, exit 7 (the lowest code among the failures), a table of results", async () => {
    const { a, b, big, client, dir } = await threePeers()
    const r = await runFazt(["remote", "deploy", dir, "--to", "alpha,small,beta", "--retries", "0"], { home: client })
    expect(r.code).toBe(7)
    expect((await getSite(a.node.port, "fleet-site", "/")).body.toString()).toBe("<h1>everywhere</h1>")
    expect((await getSite(b.node.port, "fleet-site", "/css/site.css")).body.toString()).toBe("body{}")
    // One row per peer, in the order given.
    const lines = r.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^PEER\s+SITE URL\s+FILES\s+TIME\s+RESULT$/)
    expect(lines[1]).toMatch(new RegExp(`^alpha\\s+http://fleet-site\\.localhost:${a.node.port}/\\s+2\\s+\\S+ m?s\\s+deployed$`))
    expect(lines[2]).toMatch(/^small\s+-\s+-\s+.*HTTP 413 PAYLOAD_TOO_LARGE: the upload is over 10 MB$/)
    expect(lines[3]).toMatch(/^beta\s+http:\/\/fleet-site\.localhost:\d+\/\s+2\s+/)
    expect(r.stderr).toContain("error: peer 'small' answered HTTP 413 PAYLOAD_TOO_LARGE")
    expect(big.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /api/deploy"])
  })

  it("--json: one document on stdout with every peer's result, one error envelope on stderr", async () => {
    const { a, client, dir } = await threePeers()
    const r = await runFazt(["remote", "deploy", dir, "--all", "--json", "--retries", "0"], { home: client })
    expect(r.code).toBe(7)
    const out = r.stdout.trim().split("\n")
    expect(out).toHaveLength(1)
    const doc = JSON.parse(out[0]!).data
    expect(doc).toMatchObject({ site: "fleet-site", file_count: 2, build: null })
    expect(doc.zip_bytes).toBeGreaterThan(0)
    expect(doc.peers.map((p: { peer: string }) => p.peer)).toEqual(["alpha", "beta", "small"])
    expect(doc.peers[0]).toMatchObject({ peer: "alpha", site: "fleet-site", url: `http://fleet-site.localhost:${a.node.port}/`, file_count: 2, error: null })
    expect(doc.peers[1]).toMatchObject({ peer: "beta", file_count: 2, error: null })
    expect(doc.peers[2]).toMatchObject({ peer: "small", url: null, error: { code: "PEER_API_ERROR" } })
    expect(doc.peers[2].error.message).toContain("413")
    const err = r.stderr.trim().split("\n").map((l) => JSON.parse(l))
    expect(err.filter((e) => "error" in e)).toHaveLength(1)
    expect(err.at(-1).error.code).toBe("PEER_API_ERROR")
  })

  it("all served: exit 0; an unknown peer in --to stops before anything is sent (exit 3)", async () => {
    const { a, b, big, client, dir } = await threePeers()
    const ok = await runFazt(["remote", "deploy", dir, "--to", "alpha,beta", "--name", "both"], { home: client })
    expect(ok.code).toBe(0)
    expect((await getSite(a.node.port, "both", "/")).status).toBe(200)
    expect((await getSite(b.node.port, "both", "/")).status).toBe(200)
    const unknown = await runFazt(["remote", "deploy", dir, "--to", "alpha,ghost", "--name", "never"], { home: client })
    expect(unknown.code).toBe(3)
    expect((await getSite(a.node.port, "never", "/")).status).toBe(404)
    expect(big.seen).toEqual([])
    const both = await runFazt(["remote", "deploy", dir, "alpha", "--to", "beta"], { home: client })
    expect(both.code).toBe(2)
  })

  it("failures of different kinds: the lowest code wins (5 for an unreachable peer over 7 for a refusal)", async () => {
    const { a, client, dir } = await threePeers()
    const gone = await loopbackServer(() => {})
    await gone.close()
    await addPeer(client, "dead", gone.url, "fzt_many_test_token_0123456789")
    const r = await runFazt(["remote", "deploy", dir, "--to", "small,alpha,dead", "--retries", "0"], { home: client })
    expect(r.code).toBe(5)
    expect((await getSite(a.node.port, "fleet-site", "/")).status).toBe(200)
    expect(r.stdout).toMatch(/^dead\s+-\s+-\s+.*unreachable/m)
    // The error not chosen for the exit code is said too.
    expect(r.stderr).toContain("error: peer 'small' answered HTTP 413")
  })

  it("Ctrl-C stops every upload and says which peers finished", async () => {
    const { a, client, dir } = await threePeers()
    // A peer that takes the upload and never answers.
    const hang = await loopbackServer((req) => req.resume())
    cleanups.push(hang.close)
    await addPeer(client, "hang", hang.url, "fzt_many_test_token_0123456789")
    let pid = 0
    const run = runFazt(["remote", "deploy", dir, "--to", "alpha,hang", "--timeout", "60s"], { home: client, onSpawn: (p) => (pid = p) })
    const deadline = Date.now() + 15_000
    while ((await getSite(a.node.port, "fleet-site", "/")).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 200))
    process.kill(pid, "SIGINT")
    const r = await run
    expect(r.code).toBe(130)
    expect(r.stderr).toContain("interrupted: finished on alpha; stopped on hang")
  })
})
