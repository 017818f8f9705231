import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { runFazt, tempHome } from "../support/cli.js"
import { closedPort } from "../support/scriptedPeer.js"

describe("deploy --compression (issue 26)", () => {
  it("a level that is not store, fast, best or 0-9 is refused before anything is read or sent (exit 2)", async () => {
    const home = tempHome()
    const port = await closedPort()
    const added = await runFazt(["remote", "add", "p", `http://127.0.0.1:${port}`, "--token", "fzt_test_0123456789abcdef"], { home })
    expect(added.code).toBe(0)
    const site = path.join(fs.mkdtempSync(path.join(home, "d-")), "site")
    fs.mkdirSync(site)
    fs.writeFileSync(path.join(site, "index.html"), "<h1>hi</h1>")
    for (const bad of ["11", "fastest", "-1", ""]) {
      const r = await runFazt(["remote", "deploy", site, "p", "--compression", bad], { home })
      expect({ bad, code: r.code, stdout: r.stdout }).toEqual({ bad, code: 2, stdout: "" })
      expect(r.stderr).toContain("--compression is store, fast, best or a level 0-9")
      // Refused as usage, before the peer was tried (it would say unreachable, exit 5).
      expect(r.stderr).not.toContain("unreachable")
    }
    for (const good of ["store", "fast", "best", "0", "9"]) {
      const r = await runFazt(["remote", "deploy", site, "p", "--compression", good, "--dry-run"], { home })
      expect({ good, code: r.code, stdout: r.stdout }).toEqual({ good, code: 0, stdout: "index.html\t11\n" })
    }
  }, 60_000)
})
