import { Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Json from "../../src/domain/json.js"
import { type RunResult, runFazt, tempHome } from "../support/cli.js"
import { type RunningNode, startNode } from "../support/node.js"

/**
 * docs/JSON.md names one schema per command; each test decodes the real
 * output with it, refusing fields the schema (and so the doc) does not list.
 */
const strict = <A, I>(schema: Schema.Schema<A, I>, text: string) =>
  Schema.decodeUnknownSync(schema, { onExcessProperty: "error" })(JSON.parse(text))

let node: RunningNode
let home: string
let token: string
const run = (args: Array<string>, stdin?: string): Promise<RunResult> =>
  runFazt(["--json", ...args], { home, ...(stdin === undefined ? {} : { stdin }) })

beforeAll(async () => {
  home = tempHome()
  const db = path.join(home, "node.db")
  const created = await runFazt(["server", "create-key", "--name", "json", "--db", db, "--json"], { home })
  token = strict(Json.SuccessEnvelope(Json.CreatedKeyOutput), created.stdout).data.token
  node = await startNode({ db, home })
})
afterAll(() => node.stop())

describe("every command's --json output matches docs/JSON.md", () => {
  it("peer commands print SuccessEnvelope(PeerView) / SuccessEnvelope(PeerList)", async () => {
    const peer = Json.SuccessEnvelope(Json.PeerView)
    strict(peer, (await run(["remote", "add", "local", node.url, "--token-stdin"], token)).stdout)
    strict(peer, (await run(["remote", "add", "spare", "https://spare.example", "--description", "x"])).stdout)
    strict(peer, (await run(["remote", "default", "local"])).stdout)
    strict(peer, (await run(["remote", "rename", "spare", "extra"])).stdout)
    strict(peer, (await run(["remote", "set-url", "extra", "https://extra.example"])).stdout)
    strict(peer, (await run(["remote", "set-token", "extra", "--token-stdin"], "fzt_extra_extra_extra_extra")).stdout)
    strict(peer, (await run(["remote", "show", "extra"])).stdout)
    const list = strict(Json.SuccessEnvelope(Json.PeerList), (await run(["remote"])).stdout)
    expect(list.data.map((p) => p.name)).toEqual(["extra", "local"])
    strict(peer, (await run(["remote", "remove", "extra"])).stdout)
    expect(strict(Json.SuccessEnvelope(Json.MigrateOutput), (await run(["remote", "migrate"])).stdout).data.outcome).toBe("absent")
  })

  it("network commands print their documented shapes", async () => {
    const one = strict(Json.SuccessEnvelope(Json.StatusReport), (await run(["remote", "status"])).stdout)
    expect(one.data.status).toBe("healthy")
    const all = strict(Json.SuccessEnvelope(Json.StatusReports), (await run(["remote", "status", "--all"])).stdout)
    expect(all.data).toHaveLength(1)
    const site = path.join(home, "json-site")
    fs.mkdirSync(site, { recursive: true })
    fs.writeFileSync(path.join(site, "index.html"), "json")
    const plan = strict(Json.SuccessEnvelope(Json.DeployPlan), (await run(["remote", "deploy", site, "--dry-run"])).stdout)
    expect(plan.data.files).toEqual([{ path: "index.html", size: 4 }])
    const deployed = strict(Json.SuccessEnvelope(Json.DeployOutput), (await run(["remote", "deploy", site])).stdout)
    expect(deployed.data).toMatchObject({ site: "json-site", file_count: 1, peer: "local", build: null })
    const fleet = strict(Json.SuccessEnvelope(Json.FleetDeployOutput), (await run(["remote", "deploy", site, "--to", "local"])).stdout)
    expect(fleet.data.peers).toMatchObject([{ peer: "local", site: "json-site", file_count: 1, error: null }])
    const apps = strict(Json.SuccessEnvelope(Json.AppList), (await run(["remote", "apps"])).stdout)
    expect(apps.data.map((a) => a.title)).toEqual(["json-site"])
    const upgrade = strict(Json.SuccessEnvelope(Json.UpgradeOutput), (await run(["remote", "upgrade", "--check"])).stdout)
    // The node has no release channel: the honest answer (issue 10).
    expect(upgrade.data).toMatchObject({ action: "already_latest", current_version: "0.1.0", new_version: "0.1.0" })
  })

  it("failures print ErrorEnvelope on stderr and nothing on stdout", async () => {
    for (const args of [["remote", "show", "ghost"], ["remote", "add", "Bad", "https://x.example"], ["remote", "upgrade", "--force"]]) {
      const r = await run(args)
      expect(r.code).not.toBe(0)
      expect(r.stdout).toBe("")
      strict(Json.ErrorEnvelope, r.stderr)
    }
  })
})

describe("shorthands and completions", () => {
  it("fazt @name status and FAZT_PEER=name fazt remote status both work", async () => {
    await run(["remote", "add", "second", "http://127.0.0.1:9"])
    const at = await runFazt(["@local", "status", "--json"], { home })
    expect(at.code).toBe(0)
    expect(strict(Json.SuccessEnvelope(Json.StatusReport), at.stdout).data.name).toBe("local")
    const show = await runFazt(["@local", "show", "--json"], { home })
    expect(strict(Json.SuccessEnvelope(Json.PeerView), show.stdout).data.name).toBe("local")
    const env = await runFazt(["remote", "status", "--json"], { home, env: { FAZT_PEER: "local" } })
    expect(env.code).toBe(0)
    expect(env.stderr).toBe("")
    const overriding = await runFazt(["remote", "status", "--retries", "0"], { home, env: { FAZT_PEER: "second" } })
    expect(overriding.code).toBe(5)
    expect(overriding.stderr).toContain("using 'second' from FAZT_PEER (the default is 'local')")
    const missing = await runFazt(["@ghost", "status"], { home })
    expect(missing.code).toBe(3)
  })

  it("generates a bash completion script, and help is plain text when piped", async () => {
    const bash = await runFazt(["--completions", "bash"], { home })
    expect(bash.code).toBe(0)
    expect(bash.stdout).toContain("complete -o default -F _fazt fazt")
    expect(bash.stdout).toContain("__complete bash")
    const verbs = ["add", "remove", "default", "rename", "set-url", "set-token", "show", "migrate", "status", "apps", "upgrade", "deploy"]
    const every = [[], ["remote"], ["server"], ["server", "create-key"], ["server", "start"], ...verbs.map((v) => ["remote", v])]
    for (const args of every.map((a) => [...a, "--help"])) {
      const help = await runFazt(args, { home })
      expect(help.code).toBe(0)
      expect(help.stdout).not.toContain("\u001b[")
      expect(help.stdout).toContain("Example:")
    }
  })
})
