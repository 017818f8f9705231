import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { VERSION } from "../../src/version.js"
import { clientDb, runFazt, tempHome } from "../support/cli.js"
import { snapshot } from "../support/sqlite.js"

// The command line is parsed once (src/commands/usage.ts `runParsed`): the
// handler runs from that parse, and the built-ins fazt keeps (--version,
// --log-level) are answered from it too, not by a second parse in Command.run.

let home: string
let peer: http.Server
let seen = 0
beforeAll(async () => {
  peer = http.createServer((_req, res) => {
    seen++
    res.writeHead(200, { "content-type": "application/json" })
    res.end(JSON.stringify({ data: { status: "healthy", version: "0.29.0", uptime_seconds: 5 } }))
  })
  await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve))
  const port = (peer.address() as { port: number }).port
  home = tempHome()
  const r = await runFazt(["remote", "add", "local", `http://127.0.0.1:${port}`], { home })
  expect(r.code).toBe(0)
})
afterAll(() => new Promise<void>((resolve) => peer.close(() => resolve())))

describe("one parse", () => {
  it("--version prints the version and nothing else (no blank line after it), beside any other flag", async () => {
    for (const args of [["--version"], ["--json", "--version"], ["--version", "--json"], ["remote", "status", "--version"]]) {
      const r = await runFazt(args, { home })
      expect(r.code, args.join(" ")).toBe(0)
      expect(r.stdout).toBe(`${VERSION}\n`)
      expect(r.stderr).toBe("")
    }
  })

  it("fazt server alone says where to start, exit 0, and makes no ./data.db (only its verbs open the node's database)", async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "fazt-server-alone-"))
    for (const args of [["server"], ["server", "--json"]]) {
      const r = await runFazt(args, { home, cwd })
      expect(r.code).toBe(0)
      expect(r.stdout).toBe("")
      expect(r.stderr).toMatch(/^fazt server: .*'fazt server create-key --name NAME'.*'fazt server start'.*\n$/)
    }
    expect(fs.readdirSync(cwd)).toEqual([])
  })

  it("--log-level in front of the verb (where @effect/cli took its value for the subcommand) logs at that level", async () => {
    for (const args of [
      ["--log-level", "debug", "remote", "status", "local"],
      ["--log-level=debug", "remote", "status", "local"],
      ["remote", "status", "local", "--log-level", "debug"]
    ]) {
      const before = seen
      const r = await runFazt(args, { home })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/ DEBUG → GET http:\/\/127\.0\.0\.1:\d+\/api\/system\/health/)
      expect(r.stdout).toMatch(/^NAME +URL +STATUS/)
      // The handler ran once: one request reached the peer.
      expect(seen - before).toBe(1)
    }
    // Without it, the default level (warning) shows no debug line.
    const quiet = await runFazt(["remote", "status", "local"], { home })
    expect(quiet.stderr).toBe("")
  })

  it("under --json the logs are JSON lines too: stderr carries nothing else", async () => {
    const r = await runFazt(["remote", "status", "local", "--json", "--log-level", "debug"], { home })
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stderr.trimEnd().split("\n").map((l) => JSON.parse(l) as { log?: { level: string; time: string; message: string } })
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(Object.keys(line)).toEqual(["log"])
    expect(lines.map((l) => l.log!.message)).toContainEqual(expect.stringMatching(/^→ GET http:\/\/127\.0\.0\.1:\d+\/api\/system\/health/))
    expect(lines[0]!.log).toMatchObject({ level: "DEBUG", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
    expect(JSON.parse(r.stdout)).toHaveProperty("data")
  })

  it("FAZT_LOG_LEVEL sets the level; --log-level beats it; an unknown value in it means the default (warnings)", async () => {
    const debug = await runFazt(["remote", "status", "local"], { home, env: { FAZT_LOG_LEVEL: "debug" } })
    expect(debug.code).toBe(0)
    expect(debug.stderr).toMatch(/ DEBUG → GET /)
    const beaten = await runFazt(["remote", "status", "local", "--log-level", "error"], { home, env: { FAZT_LOG_LEVEL: "debug" } })
    expect(beaten.code).toBe(0)
    expect(beaten.stderr).toBe("")
    const unknown = await runFazt(["remote", "status", "local"], { home, env: { FAZT_LOG_LEVEL: "loud" } })
    expect(unknown.code).toBe(0)
    expect(unknown.stderr).toBe("")
  })

  it("an unknown --log-level is a usage error (exit 2), and nothing runs", async () => {
    const before = snapshot(clientDb(home))
    const asked = seen
    const r = await runFazt(["--log-level", "loud", "remote", "status", "local", "--json"], { home })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    const envelope = JSON.parse(r.stderr) as { error: { code: string; message: string } }
    expect(envelope.error).toMatchObject({
      code: "USAGE",
      message: "--log-level: expected one of all, trace, debug, info, warning, error, fatal, none, not 'loud'"
    })
    expect(seen).toBe(asked)
    expect(snapshot(clientDb(home))).toEqual(before)
  })
})
