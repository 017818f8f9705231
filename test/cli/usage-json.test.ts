import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { clientDb, runFazt, tempHome } from "../support/cli.js"
import { snapshot } from "../support/sqlite.js"

// Every mistake in what was typed is a usage error (exit 2) before anything
// runs: one line on stderr, or under --json the one `USAGE` envelope, never
// @effect/cli's own print, and the database as it was.

let home: string
beforeAll(async () => {
  home = tempHome()
  const r = await runFazt(["remote", "add", "zyt", "https://admin.zyt.app"], { home })
  expect(r.code).toBe(0)
})

/** Runs `args` and checks the one-envelope contract; returns the envelope. */
const usageEnvelope = async (args: ReadonlyArray<string>, cwd?: string) => {
  const before = snapshot(clientDb(home))
  const r = await runFazt(args, { home, ...(cwd ? { cwd } : {}) })
  expect(r.code).toBe(2)
  expect(r.stdout).toBe("")
  const lines = r.stderr.trimEnd().split("\n")
  expect(lines).toHaveLength(1)
  const envelope = JSON.parse(lines[0]!) as { error: { code: string; message: string } }
  expect(envelope.error.code).toBe("USAGE")
  expect(snapshot(clientDb(home))).toEqual(before)
  return envelope.error
}

describe("--json for usage errors", () => {
  it("fazt remote add x https://x.example --bogus --json: exit 2, one USAGE envelope on stderr, stdout empty, database unchanged", async () => {
    const error = await usageEnvelope(["remote", "add", "x", "https://x.example", "--bogus", "--json"])
    expect(error.message).toBe("unknown flag '--bogus' for 'fazt remote add'; see 'fazt remote add --help'")
    // A HOME with no database yet gets none.
    const fresh = tempHome()
    const r = await runFazt(["remote", "add", "x", "https://x.example", "--bogus", "--json"], { home: fresh })
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stderr).error.code).toBe("USAGE")
    expect(fs.existsSync(clientDb(fresh))).toBe(false)
  })

  it("a missing argument, in our own words", async () => {
    const error = await usageEnvelope(["remote", "add", "x", "--json"])
    expect(error.message).toBe("missing argument <url> for 'fazt remote add'; see 'fazt remote add --help'")
    const plain = await runFazt(["remote", "add", "x"], { home })
    expect(plain.code).toBe(2)
    expect(plain.stdout).toBe("")
    expect(plain.stderr).toBe("error: missing argument <url> for 'fazt remote add'; see 'fazt remote add --help'\n")
  })

  it("a flag with no value, and a word left over, in our own words too", async () => {
    expect((await usageEnvelope(["server", "start", "--port", "--json"])).message)
      .toBe("--port needs a value (PORT); see 'fazt server start --help'")
    expect((await usageEnvelope(["remote", "show", "zyt", "extra", "--json"])).message)
      .toBe("unexpected argument 'extra' for 'fazt remote show'; see 'fazt remote show --help'")
    const plain = await runFazt(["remote", "status", "--timeout"], { home })
    expect(plain.code).toBe(2)
    expect(plain.stderr).toBe("error: --timeout needs a value (DURATION); see 'fazt remote status --help'\n")
  })

  it("an unknown verb", async () => {
    const error = await usageEnvelope(["remote", "stauts", "--json"])
    expect(error.message).toBe("unknown command 'stauts' for 'fazt remote' (did you mean 'status'?)")
  })

  it("a flag value its definition refuses: --timeout, --retries (at most 10)", async () => {
    expect((await usageEnvelope(["--timeout", "soon", "remote", "status", "--json"])).message).toBe("--timeout soon: expected e.g. 30s, 500ms, 2m; at most 24h")
    expect((await usageEnvelope(["remote", "status", "--retries", "11", "--json"])).message).toBe("--retries 11: expected 0 to 10")
    expect((await usageEnvelope(["remote", "status", "--retries", "-1", "--json"])).message).toBe("--retries -1: expected 0 to 10")
    expect((await usageEnvelope(["remote", "status", "--retries", "two", "--json"])).message).toBe("--retries two: expected 0 to 10")
    expect((await usageEnvelope(["--db=", "remote", "--json"])).message).toBe("--db is empty: give the path of a database file")
    // The bounds themselves are fine.
    const ok = await runFazt(["--retries", "10", "--timeout", "500ms", "remote", "--json"], { home })
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout).data.map((p: { name: string }) => p.name)).toEqual(["zyt"])
  })

  it("the node's flag values: --port, --max-upload, --max-unpacked, --max-file-size, --max-files; no database is made", async () => {
    const dir = fs.mkdtempSync(path.join(home, "node-"))
    const cases: Array<[Array<string>, string]> = [
      [["--port", "70000"], "--port 70000: expected 0–65535"],
      [["--port", "http"], "--port http: expected 0–65535"],
      [["--max-upload", "0"], "--max-upload 0: expected a size such as 100MB"],
      [["--max-unpacked", "lots"], "--max-unpacked lots: expected a size such as 100MB"],
      [["--max-file-size", "-5MB"], "--max-file-size -5MB: expected a size such as 100MB"],
      [["--max-files", "0"], "--max-files 0: expected a positive number"]
    ]
    for (const [flags, message] of cases) {
      expect((await usageEnvelope(["server", "start", ...flags, "--json"], dir)).message).toBe(message)
      const plain = await runFazt(["server", "start", ...flags], { home, cwd: dir })
      expect(plain.code).toBe(2)
      expect(plain.stderr).toBe(`error: ${message}\n`)
    }
    expect(fs.readdirSync(dir)).toEqual([])
  })
})
