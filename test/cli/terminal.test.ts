// Issue 24: what a person at a real terminal sees (tmux gives the CLI a pty).
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, clientDb, runFazt, tempHome } from "../support/cli.js"
import { hang, HEALTHY, json, scriptedPeer } from "../support/scriptedPeer.js"
import { query } from "../support/sqlite.js"

const socket = `fazt-terminal-${process.pid}`
const tmux = (...args: Array<string>) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" })
const cleanups: Array<() => Promise<unknown>> = []
let home: string
let dir: string

const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 100))
  }
  return true
}
const screen = () => tmux("capture-pane", "-p", "-J")

beforeAll(() => {
  home = tempHome()
  dir = fs.mkdtempSync(path.join(home, "bin-"))
  fs.writeFileSync(path.join(dir, "fazt"), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 })
  fs.writeFileSync(path.join(dir, "rc"), "PS1='$ '\n")
  tmux("new-session", "-d", "-x", "160", "-y", "40", `env -i HOME=${home} PATH=${dir}:/usr/bin:/bin TERM=xterm bash --noprofile --rcfile ${dir}/rc -i`)
})
afterAll(async () => {
  try {
    tmux("kill-server")
  } catch {}
  for (const c of cleanups) await c()
})

const run = async (line: string) => {
  tmux("send-keys", "C-u", "C-l")
  await until(() => screen().trim() === "$")
  tmux("send-keys", "-l", line)
  tmux("send-keys", "Enter")
}

describe("status --all with a peer that hangs", () => {
  it("the live line names who is still awaited; Ctrl-C prints the answers already in, then exits 130", async () => {
    const ok = await scriptedPeer([json(200, HEALTHY)])
    const slow = await scriptedPeer([hang])
    cleanups.push(ok.close, slow.close)
    for (const [name, url] of [["alpha", ok.url], ["bravo", ok.url], ["slowpoke", slow.url]] as const) {
      expect((await runFazt(["remote", "add", name, url], { home })).code).toBe(0)
    }
    await run("fazt remote status --all --timeout 60s --retries 0; echo rc=$?")
    expect(await until(() => screen().includes("2/3 done, waiting for slowpoke"))).toBe(true)
    tmux("send-keys", "C-c")
    expect(await until(() => /rc=\d+/.test(screen()))).toBe(true)
    const text = screen()
    expect(text).toMatch(/alpha\s+http:\/\/127\.0\.0\.1:\d+\s+healthy\s+0\.29\.0/)
    expect(text).toMatch(/bravo\s+http:\/\/127\.0\.0\.1:\d+\s+healthy/)
    expect(text).not.toMatch(/^slowpoke\s/m)
    expect(text).toContain("warning: interrupted: no answer from slowpoke (1 of 3)")
    expect(text).toContain("rc=130")
    expect(query(clientDb(home), "SELECT name FROM peers ORDER BY name")).toHaveLength(3)
  }, 60_000)
})

describe("set-token --token-stdin at a terminal", () => {
  it("prompts, reads the key without echoing it, and stores it", async () => {
    expect((await runFazt(["remote", "add", "keyed", "http://127.0.0.1:9"], { home })).code).toBe(0)
    await run("fazt remote set-token keyed --token-stdin; echo rc=$?")
    expect(await until(() => screen().includes("Paste the API key for 'keyed' (input is hidden): "))).toBe(true)
    tmux("send-keys", "-l", "fzt_typed_at_the_terminal_0123456789")
    tmux("send-keys", "Enter")
    expect(await until(() => /rc=\d+/.test(screen()))).toBe(true)
    const text = screen()
    expect(text).toContain("rc=0")
    expect(text).toContain("Stored a new token for 'keyed'")
    expect(text).not.toContain("fzt_typed_at_the_terminal")
    expect(query(clientDb(home), "SELECT token FROM peers WHERE name = 'keyed'")).toEqual([{ token: "fzt_typed_at_the_terminal_0123456789" }])
  }, 30_000)

  it("Ctrl-C at the prompt stores nothing and exits 130", async () => {
    await run("fazt remote set-token keyed --token-stdin; echo rc=$?")
    expect(await until(() => screen().includes("(input is hidden): "))).toBe(true)
    tmux("send-keys", "-l", "fzt_never")
    tmux("send-keys", "C-c")
    expect(await until(() => /rc=\d+/.test(screen()))).toBe(true)
    expect(screen()).toContain("rc=130")
    expect(query(clientDb(home), "SELECT token FROM peers WHERE name = 'keyed'")).toEqual([{ token: "fzt_typed_at_the_terminal_0123456789" }])
  }, 30_000)
})

describe("a narrow terminal (45 columns)", () => {
  it("status prints one record a row: no line wraps, the URL whole", async () => {
    const peer = await scriptedPeer([json(200, { data: { ...HEALTHY.data, memory: { used_mb: 84, limit_mb: 24105 } } })])
    cleanups.push(peer.close)
    const narrow = tempHome()
    await runFazt(["remote", "add", "p", peer.url], { home: narrow })
    tmux("resize-window", "-x", "45", "-y", "40")
    try {
      await run(`HOME=${narrow} fazt remote status; echo rc=$?`)
      expect(await until(() => /rc=\d+/.test(screen()))).toBe(true)
      const lines = tmux("capture-pane", "-p").split("\n")
      const at = lines.findIndex((l) => l.startsWith("NAME"))
      const record = lines.slice(at, at + 6)
      expect(record.map((l) => l.split(/\s{2,}/)[0])).toEqual(["NAME", "URL", "STATUS", "VERSION", "UPTIME", "MEMORY"])
      expect(record[1]).toBe(`URL      ${peer.url}`)
      expect(record[5]).toBe("MEMORY   84 MB of 24 GB")
      // Every line of the output is shorter than the pane: none wrapped.
      const end = lines.findIndex((l) => /^rc=\d+/.test(l))
      expect(end).toBe(at + 6)
      for (const l of lines.slice(at, end)) expect([...l.trimEnd()].length).toBeLessThan(45)
    } finally {
      tmux("resize-window", "-x", "160", "-y", "40")
    }
  }, 30_000)
})
