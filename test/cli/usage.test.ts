import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { bin, clientDb, runFazt, tempHome } from "../support/cli.js"
import { query } from "../support/sqlite.js"

let home: string
beforeAll(async () => {
  home = tempHome()
  for (const [name, url] of [["zyt", "https://admin.zyt.app"], ["office", "http://127.0.0.1:9"]]) {
    const r = await runFazt(["remote", "add", name!, url!], { home })
    expect(r.code).toBe(0)
  }
})

const peersInDb = () => query(clientDb(home), "SELECT name, url, is_default FROM peers ORDER BY name")

describe("habits: aliases", () => {
  it("remote ls and remote list list the peers; remote rm removes one", async () => {
    const listed = await runFazt(["remote", "--json"], { home })
    for (const alias of [["remote", "ls", "--json"], ["remote", "list", "--json"], ["--json", "remote", "ls"]]) {
      const r = await runFazt(alias, { home })
      expect(r.code).toBe(0)
      expect(r.stdout).toBe(listed.stdout)
    }
    const scratch = tempHome()
    await runFazt(["remote", "add", "a", "https://a.example"], { home: scratch })
    await runFazt(["remote", "add", "b", "https://b.example"], { home: scratch })
    const rm = await runFazt(["remote", "rm", "b"], { home: scratch })
    expect(rm.code).toBe(0)
    expect(rm.stderr).toContain("Removed peer 'b'")
    expect(query(clientDb(scratch), "SELECT name FROM peers")).toEqual([{ name: "a" }])
  })

  it("fazt @a rm is fazt remote rm a, as fazt @a remove is: the name goes where remove takes it, not to --peer", async () => {
    const scratch = tempHome()
    for (const name of ["a", "b"]) expect((await runFazt(["remote", "add", name, `https://${name}.example`], { home: scratch })).code).toBe(0)
    // A second name has nowhere to go: nothing is removed.
    const two = await runFazt(["@a", "rm", "b"], { home: scratch })
    expect(two.code).toBe(2)
    expect(query(clientDb(scratch), "SELECT name FROM peers ORDER BY name")).toEqual([{ name: "a" }, { name: "b" }])
    const rm = await runFazt(["@a", "rm"], { home: scratch })
    expect(rm.code).toBe(0)
    expect(rm.stderr).toContain("Removed peer 'a'")
    expect(query(clientDb(scratch), "SELECT name FROM peers")).toEqual([{ name: "b" }])
  })
})

describe("mistakes answered well: exit 2, the word typed, the nearest verb or flag, nothing changed", () => {
  const cases: Array<[Array<string>, string]> = [
    [["remote", "stauts"], "error: unknown command 'stauts' for 'fazt remote' (did you mean 'status'?)"],
    [["remote", "frobnicate"], "error: unknown command 'frobnicate' for 'fazt remote' (one of: add, remove,"],
    [["status"], "error: unknown command 'status' for 'fazt' (did you mean 'fazt remote status'?)"],
    [["remote", "status", "--al"], "error: unknown flag '--al' for 'fazt remote status' (did you mean --all?)"],
    [["remote", "add", "x", "https://x.example", "--tokne", "t"], "error: unknown flag '--tokne' for 'fazt remote add' (did you mean --token?)"],
    [["remote", "show", "zyt", "--bogus"], "error: unknown flag '--bogus' for 'fazt remote show'; see 'fazt remote show --help'"],
    [["--jsn", "remote"], "error: unknown flag '--jsn' for 'fazt' (did you mean --json?)"],
    [["remote", "--wizard"], "error: unknown flag '--wizard' for 'fazt remote'"],
    [["server", "start", "--prot", "1"], "error: unknown flag '--prot' for 'fazt server start' (did you mean --port?)"]
  ]
  for (const [args, message] of cases) {
    it(`fazt ${args.join(" ")}`, async () => {
      const before = peersInDb()
      const r = await runFazt(args, { home })
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(r.stderr).toContain(message)
      expect(r.stderr).not.toContain("not found")
      expect(peersInDb()).toEqual(before)
    })
  }

  it("under --json the mistake is the error envelope", async () => {
    const r = await runFazt(["remote", "status", "--al", "--json"], { home })
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stderr)).toEqual({
      error: { code: "USAGE", message: expect.stringContaining("unknown flag '--al'"), details: expect.anything() }
    })
  })
})

const EVERY = [
  [],
  ["remote"],
  ...["add", "remove", "default", "rename", "set-url", "set-token", "show", "status", "apps", "upgrade", "deploy", "migrate"]
    .map((v) => ["remote", v]),
  ["server"],
  ["server", "create-key"],
  ["server", "start"]
]

describe("help of every command", () => {
  it("names the full path, one line per flag with defaults, the global flags that apply, an example, no boilerplate", async () => {
    for (const command of EVERY) {
      const r = await runFazt([...command, "--help"], { home })
      const title = ["fazt", ...command].join(" ")
      expect(r.code, title).toBe(0)
      expect(r.stdout.split("\n")[0], title).toMatch(new RegExp(`^${title} — \\S`))
      expect(r.stdout, title).toMatch(/\nExample:\n {2}(\S.* )?fazt /)
      expect(r.stdout, title).toContain("-h, --help")
      expect(r.stdout, title).toContain("--json")
      for (const boilerplate of ["A true or false value", "This setting is optional", "A user-defined piece of text", "--wizard", "\u001b["]) {
        expect(r.stdout, title).not.toContain(boilerplate)
      }
      // One line per flag: every line naming a flag starts with it and carries its text.
      for (const line of r.stdout.split("\n").filter((l) => /^ {2}(-h, )?--/.test(l))) {
        expect(line, title).toMatch(/^ {2}(-h, )?--[a-z-]+(, --[a-z-]+)*( [A-Z_]+)? +\S/)
      }
    }
    const deploy = (await runFazt(["remote", "deploy", "--help"], { home })).stdout
    expect(deploy).toMatch(/--timeout DURATION +.*\(default: 30s\)/)
    expect(deploy).toMatch(/--retries N +.*\(default: 3\)/)
    expect(deploy).toContain("--peer NAME")
    expect(deploy).toContain("[<name>]")
    const start = (await runFazt(["server", "start", "--help"], { home })).stdout
    expect(start).toMatch(/--port PORT +.*\(default: 8080\)/)
    expect(start).toMatch(/--max-upload SIZE +.*\(default: 100MB\)/)
    expect(start).toMatch(/--deploys-per-minute N +.*\(default: 5\)/)
    expect(start).toContain("else ./data.db")
    expect(start).not.toContain("--timeout")
    const show = (await runFazt(["remote", "show", "--help"], { home })).stdout
    expect(show).not.toContain("--timeout")
    expect(show).toContain("--db PATH")
    const remote = (await runFazt(["remote", "-h"], { home })).stdout
    expect(remote).toMatch(/ {2}remove \(rm\) +Forget a peer/)
    expect(remote).toContain("Also: fazt remote ls, fazt remote list")
  })
})

/** Runs the bash completion script as bash would on <TAB>, through COMP_WORDS/COMP_CWORD. */
const bashComplete = async (words: ReadonlyArray<string>): Promise<Array<string>> => {
  const dir = fs.mkdtempSync(path.join(home, "bin-"))
  fs.writeFileSync(path.join(dir, "fazt"), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 })
  const script = (await runFazt(["--completions", "bash"], { home })).stdout
  fs.writeFileSync(path.join(dir, "fazt.bash"), script)
  const quoted = words.map((w) => `'${w}'`).join(" ")
  const program = `source "${dir}/fazt.bash"; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _fazt; printf '%s\\n' "\${COMPREPLY[@]}"`
  return new Promise((resolve, reject) =>
    execFile("bash", ["-c", program], { env: { PATH: `${dir}:${process.env.PATH}`, HOME: home } }, (error, stdout) =>
      error ? reject(error) : resolve(stdout.split("\n").filter((l) => l !== ""))))
}

describe("completions", () => {
  it("bash completes verbs, flags and values at every level, and peer names from the database", async () => {
    // fazt v0.29's words are offered too: `peer` (fazt remote), `app` (fazt remote app), and the habit `rm`.
    expect(await bashComplete(["fazt", ""])).toEqual(["remote", "server", "peer", "app"])
    expect(await bashComplete(["fazt", "remote", ""])).toEqual([
      "add", "remove", "default", "rename", "set-url", "set-token", "show", "status", "apps", "upgrade", "deploy", "info", "app", "migrate", "rm"
    ])
    expect(await bashComplete(["fazt", "@zyt", "app", "l"])).toEqual(["list", "link", "lineage"])
    expect(await bashComplete(["fazt", "peer", "a"])).toEqual(["add", "apps", "app"])
    expect(await bashComplete(["fazt", "remote", "st"])).toEqual(["status"])
    expect(await bashComplete(["fazt", "server", "st"])).toEqual(["start"])
    expect(await bashComplete(["fazt", "remote", "status", "--a"])).toEqual(["--all"])
    expect(await bashComplete(["fazt", "server", "start", "--p"])).toEqual(["--port"])
    expect(await bashComplete(["fazt", "remote", "deploy", "--"])).toEqual(expect.arrayContaining(["--dry-run", "--timeout", "--peer", "--help"]))
    // Peer names: as an argument, after --peer, as @name, after an alias.
    expect(await bashComplete(["fazt", "remote", "status", ""])).toEqual(["office", "zyt"])
    expect(await bashComplete(["fazt", "remote", "rm", "o"])).toEqual(["office"])
    expect(await bashComplete(["fazt", "remote", "apps", "--peer", ""])).toEqual(["office", "zyt"])
    expect(await bashComplete(["fazt", "@"])).toEqual(["@office", "@zyt"])
    // A flag that takes a value is not followed by verbs; --timeout's value is free text.
    expect(await bashComplete(["fazt", "--timeout", ""])).toEqual([])
    expect(await bashComplete(["fazt", "--completions", ""])).toEqual(["bash", "zsh", "fish"])
    // add names a new peer: nothing to offer.
    expect(await bashComplete(["fazt", "remote", "add", ""])).toEqual([])
  })

  it("fish: every line is one whole complete command; zsh and fish candidates have one-line descriptions", async () => {
    const fish = (await runFazt(["--completions", "fish"], { home })).stdout.trimEnd().split("\n")
    for (const line of fish) expect(line).toMatch(/^complete -c fazt( .*)?$/)
    const zsh = (await runFazt(["--completions", "zsh"], { home })).stdout
    expect(zsh.startsWith("#compdef fazt\n")).toBe(true)
    const zshItems = (await runFazt(["__complete", "zsh", "2", "fazt", "remote", ""], { home })).stdout.trimEnd().split("\n")
    expect(zshItems).toContainEqual(expect.stringMatching(/^status:Ask a peer \(default\\?: the default peer\) or every peer/))
    const fishItems = (await runFazt(["__complete", "fish", "2", "fazt", "remote", ""], { home })).stdout.trimEnd().split("\n")
    expect(fishItems).toContain("deploy\tDeploy a folder to a peer or many, built first as fazt does.")
    for (const item of [...zshItems, ...fishItems]) expect(item).toMatch(/^[a-z-]+[:\t][^\n]+$/)
    const peers = (await runFazt(["__complete", "fish", "3", "fazt", "remote", "show", "z"], { home })).stdout
    expect(peers).toBe("zyt\tpeer\n")
  })

  it("__complete never creates a database", async () => {
    const empty = tempHome()
    const r = await runFazt(["__complete", "bash", "3", "fazt", "remote", "show", ""], { home: empty })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("")
    expect(fs.existsSync(clientDb(empty))).toBe(false)
  })
})
