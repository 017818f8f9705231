import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, runFazt, tempHome } from "../support/cli.js"

/**
 * The bash script in a real interactive bash (inside tmux), where bash itself
 * builds COMP_WORDS with its own COMP_WORDBREAKS — which holds `@`, so
 * `fazt @b` reaches the function as `fazt`, `@`, `b`. A test that fills
 * COMP_WORDS by hand cannot see that.
 */
let home: string
let dir: string
const socket = `fazt-completion-${process.pid}`
const tmux = (...args: Array<string>) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" })

beforeAll(async () => {
  home = tempHome()
  for (const name of ["bravo", "second", "alpha"]) {
    const r = await runFazt(["remote", "add", name, "http://127.0.0.1:9"], { home })
    expect(r.code).toBe(0)
  }
  dir = fs.mkdtempSync(path.join(home, "bin-"))
  fs.writeFileSync(path.join(dir, "fazt"), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 })
  fs.writeFileSync(path.join(dir, "fazt.bash"), (await runFazt(["--completions", "bash"], { home })).stdout)
  fs.writeFileSync(path.join(dir, "rc"), `PS1='$ '\nsource "${dir}/fazt.bash"\n`)
  tmux("new-session", "-d", "-x", "150", "-y", "30", `env -i HOME=${home} PATH=${dir}:/usr/bin:/bin TERM=xterm bash --noprofile --rcfile ${dir}/rc -i`)
  await until(() => tmux("capture-pane", "-p").includes("$ "))
})

afterAll(() => {
  try {
    tmux("kill-server")
  } catch {}
})

const until = async (ok: () => boolean, ms = 8000) => {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 100))
  }
  return true
}

/** Types `line`, then the keys, and returns the screen's last prompt line once it settles. */
const typeAndTab = async (line: string, keys: Array<string>, expected: string): Promise<string> => {
  tmux("send-keys", "C-u", "C-l")
  tmux("send-keys", "-l", line)
  tmux("send-keys", ...keys)
  let screen = ""
  await until(() => (screen = tmux("capture-pane", "-p")).includes(expected))
  return screen
}

const promptLine = (screen: string) => screen.split("\n").filter((l) => l.startsWith("$ ")).at(-1) ?? ""

describe("bash completion in a real interactive bash", () => {
  it("bash itself splits at @", () => {
    expect(execFileSync("bash", ["-ic", "printf %s \"$COMP_WORDBREAKS\""], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], env: { HOME: home, PATH: "/usr/bin:/bin" } }))
      .toContain("@")
  })

  it("fazt @b completes a peer name", async () => {
    const screen = await typeAndTab("fazt @b", ["Tab"], "$ fazt @bravo")
    expect(promptLine(screen)).toBe("$ fazt @bravo")
  })

  it("fazt @second st completes the verb", async () => {
    const screen = await typeAndTab("fazt @second st", ["Tab"], "$ fazt @second status")
    expect(promptLine(screen)).toBe("$ fazt @second status")
  })

  it("fazt @<Tab><Tab> lists the peers as @names; fazt @local a<Tab><Tab> lists verbs, not files", async () => {
    const peers = await typeAndTab("fazt @", ["Tab", "Tab"], "@second")
    expect(peers).toMatch(/@alpha\s+@bravo\s+@second/)
    const verbs = await typeAndTab("fazt @local a", ["Tab", "Tab"], "apps")
    expect(verbs).toMatch(/add\s+app\s+apps/)
  })

  it("completes peer names after a flag and in the middle of a line", async () => {
    const screen = await typeAndTab("fazt remote show --peer s", ["Tab"], "--peer second")
    expect(promptLine(screen)).toBe("$ fazt remote show --peer second")
  })
})
