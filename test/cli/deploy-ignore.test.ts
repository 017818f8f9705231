import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { homeWithPeer, runFazt, tempHome } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { nodeAndClient } from "../support/node.js"
import { json, scriptedPeer } from "../support/scriptedPeer.js"

// Issue 22: ignore rules as people know them, private-looking names left out,
// names a node refuses refused before the upload.

const TOKEN = "fzt_ignore_rules_0123456789abcdef"
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

const write = (root: string, rel: string | Buffer, content: string) => {
  const file = typeof rel === "string" ? path.join(root, rel) : Buffer.concat([Buffer.from(root + "/"), rel])
  if (typeof rel === "string") fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  fs.writeFileSync(file, content)
}

const folder = (home: string, files: Record<string, string>) => {
  const dir = path.join(home, "site")
  fs.mkdirSync(dir, { recursive: true })
  for (const [rel, content] of Object.entries(files)) write(dir, rel, content)
  return dir
}

/** A peer that must never be sent anything. */
const untouchedPeer = async () => {
  const peer = await scriptedPeer([json(500, { error: { code: "X", message: "must not be called" } })])
  cleanups.push(peer.close)
  return { peer, home: await homeWithPeer(peer.url, TOKEN) }
}

const plan = async (home: string, dir: string, ...extra: Array<string>) => {
  const r = await runFazt(["remote", "deploy", dir, "--dry-run", "--json", ...extra], { home })
  expect(r.code, r.stderr).toBe(0)
  return { ...JSON.parse(r.stdout).data, stderr: r.stderr }
}

describe("what a deploy leaves out", () => {
  it("nested .gitignore files and .faztignore (root and nested, with '!') are honoured; .well-known/ ships though hidden", async () => {
    const { peer, home } = await untouchedPeer()
    const dir = folder(home, {
      "index.html": "<h1>hi</h1>",
      "secrets/.gitignore": "token.txt\n",
      "secrets/token.txt": "TOKEN",
      "secrets/public.txt": "public",
      "a/b/.gitignore": "*.tmp\n!keep.tmp\n",
      "a/b/x.tmp": "tmp",
      "a/b/keep.tmp": "kept",
      "a/x.tmp": "not under a/b's rules",
      ".faztignore": "drafts/\n*.psd\n",
      "drafts/post.html": "draft",
      "art/logo.psd": "psd",
      "docs/.faztignore": "internal.html\n",
      "docs/internal.html": "internal",
      "docs/index.html": "docs",
      ".gitignore": "/build\n",
      "build/out.js": "built",
      ".well-known/security.txt": "Contact: mailto:x@example.com",
      ".well-known/acme-challenge/tok": "challenge",
      ".well-known/.hidden": "still hidden",
      "sub/.well-known/x": "only the top one ships",
      ".env": "SECRET=1"
    })
    const p = await plan(home, dir)
    expect(p.files.map((f: { path: string }) => f.path)).toEqual([
      ".well-known/acme-challenge/tok",
      ".well-known/security.txt",
      "a/b/keep.tmp",
      "a/x.tmp",
      "docs/index.html",
      "index.html",
      "secrets/public.txt"
    ])
    expect(peer.seen).toHaveLength(0)
  })

  it("private keys, certificates, credentials, dumps and backups are left out with one line; --include-sensitive ships them", async () => {
    const { peer, home } = await untouchedPeer()
    const sensitive = ["id_rsa", "server.key", "cert.pem", "credentials.json", "dump.sql", "index.html~", "keys/id_ed25519"]
    const dir = folder(home, Object.fromEntries([["index.html", "<h1>hi</h1>"], ...sensitive.map((f) => [f, "secret"])]))
    const human = await runFazt(["remote", "deploy", dir, "--dry-run"], { home })
    expect(human.code).toBe(0)
    expect(human.stdout).toBe("index.html\t11\n")
    const warnings = human.stderr.split("\n").filter((l) => l.startsWith("warning:"))
    expect(warnings).toEqual(["warning: left out 7 files whose names look private (cert.pem, credentials.json, dump.sql, …); --include-sensitive ships them"])
    const p = await plan(home, dir)
    expect(p.files.map((f: { path: string }) => f.path)).toEqual(["index.html"])
    expect([...p.left_out].sort()).toEqual([...sensitive].sort())
    expect(JSON.parse(p.stderr.split("\n")[0]).warning).toContain("left out 7 files")
    const all = await plan(home, dir, "--include-sensitive")
    expect(all.files).toHaveLength(8)
    expect(all.left_out).toEqual([])
    expect(peer.seen).toHaveLength(0)
  })

  it("the real deploy says so too, and ships neither the key nor the nested-ignored file; .well-known is served", async () => {
    const { node, client } = await nodeAndClient(cleanups)
    const dir = folder(client, {
      "index.html": "<h1>hi</h1>",
      "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----",
      "secrets/.gitignore": "token.txt\n",
      "secrets/token.txt": "TOKEN",
      ".well-known/security.txt": "Contact: mailto:x@example.com"
    })
    const r = await runFazt(["remote", "deploy", dir, "local"], { home: client })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain("warning: left out 1 file whose names look private (id_rsa)")
    expect(r.stdout).toContain("2 files")
    expect((await getSite(node.port, "site", "/id_rsa")).status).toBe(404)
    expect((await getSite(node.port, "site", "/secrets/token.txt")).status).toBe(404)
    expect((await getSite(node.port, "site", "/.well-known/security.txt")).body.toString()).toBe("Contact: mailto:x@example.com")
  })
})

describe("files the scan reads itself", () => {
  it("FIFOs named manifest.json, .gitignore and .faztignore are never waited on: the dry run ends at once", async () => {
    const { peer, home } = await untouchedPeer()
    const dir = folder(home, { "index.html": "<h1>hi</h1>", "sub/page.html": "page" })
    for (const fifo of ["manifest.json", ".gitignore", "sub/.faztignore"]) execFileSync("mkfifo", [path.join(dir, fifo)])
    const r = await runFazt(["remote", "deploy", dir, "--dry-run"], { home, killAfterMs: 15_000 })
    expect(r.signal).toBeNull()
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("index.html\t11\nsub/page.html\t4\n")
    expect(peer.seen).toHaveLength(0)
  })
})

describe("names a node refuses", () => {
  for (const [label, name, shown] of [
    ["a control character", Buffer.from("bad\x01name.html"), "bad\\x01name.html"],
    ["invalid UTF-8", Buffer.from([0x69, 0x6e, 0x76, 0xff, 0x2e, 0x68, 0x74, 0x6d, 0x6c]), "inv\\xff.html"],
    ["a backslash", Buffer.from("back\\slash.html"), "back\\slash.html"]
  ] as const) {
    it(`${label}: refused before the upload naming the path (exit 2, nothing sent); --dry-run shows it`, async () => {
      const { peer, home } = await untouchedPeer()
      const dir = folder(home, { "index.html": "<h1>hi</h1>", "sub/ok.html": "ok" })
      write(path.join(dir, "sub"), name, "x")
      const r = await runFazt(["remote", "deploy", dir], { home })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`cannot zip sub/${shown}: its name`)
      expect(peer.seen).toHaveLength(0)
      const json = await runFazt(["remote", "deploy", dir, "--json"], { home })
      expect(json.code).toBe(2)
      expect(JSON.parse(json.stderr).error.details).toMatchObject({ problem: "refused-name" })

      const dry = await runFazt(["remote", "deploy", dir, "--dry-run"], { home })
      expect(dry.code).toBe(0)
      expect(dry.stdout).toContain(`sub/${shown}\trefused: its name`)
      expect(dry.stderr).toContain("1 name a node refuses")
      const p = await plan(home, dir)
      expect(p.refused).toHaveLength(1)
      expect(p.files.map((f: { path: string }) => f.path)).toEqual(["index.html", "sub/ok.html"])
      expect(peer.seen).toHaveLength(0)
    })
  }

  it.skipIf(process.getuid?.() !== 0)("an unreadable subfolder is reported by its own path, not as the top folder", async () => {
    const NOBODY = 65534
    const home = tempHome()
    fs.chmodSync(home, 0o755)
    const dir = folder(home, { "index.html": "<h1>hi</h1>", "private/x.html": "x" })
    fs.chmodSync(path.join(dir, "private"), 0o700)
    const dbDir = path.join(home, "db")
    fs.mkdirSync(dbDir)
    const db = path.join(dbDir, "x.db")
    expect((await runFazt(["remote", "add", "p", "https://p.example", "--db", db], { home })).code).toBe(0)
    for (const f of [dbDir, ...fs.readdirSync(dbDir).map((f) => path.join(dbDir, f))]) fs.chownSync(f, NOBODY, NOBODY)
    const r = await runFazt(["remote", "deploy", dir, "--dry-run", "--db", db], { home, uid: NOBODY })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(path.join(dir, "private"))
    expect(r.stderr).toContain("permission")
  })
})
