import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { bin, root, tempHome } from "../support/cli.js"
import { closedPort } from "../support/scriptedPeer.js"

/** The fenced block under the README's "Try it on one machine" heading, one command a line. */
const walkthrough = (): Array<string> => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")
  const section = readme.split(/^### Try it on one machine$/m)[1]
  if (section === undefined) throw new Error("README has no 'Try it on one machine' section")
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? ""
  return block.split("\n").filter((l) => l.trim() !== "")
}

const background: Array<ChildProcess> = []
afterAll(() => {
  for (const child of background) child.kill("SIGTERM")
})

describe("README: try it on one machine", () => {
  it("runs command by command, as written, and ends with the site served", async () => {
    const lines = walkthrough()
    expect(lines[0]).toMatch(/^fazt server create-key/)
    expect(lines[lines.length - 1]).toMatch(/^curl http:\/\/hello\.localhost:8080\/$/)
    // Port 8080 may be taken on a shared machine: the same lines on a free port.
    const port = String(await closedPort())
    const home = tempHome()
    const folder = fs.mkdtempSync(path.join(home, "try-"))
    const binDir = fs.mkdtempSync(path.join(home, "bin-"))
    fs.writeFileSync(path.join(binDir, "fazt"), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`, { mode: 0o755 })
    const env = { PATH: `${binDir}:${process.env.PATH}`, HOME: home }

    let last = { code: -1 as number | null, stdout: "", stderr: "" }
    for (const written of lines) {
      const line = written.replaceAll("8080", port)
      if (line.endsWith("&")) {
        // A server "in another terminal": started, and waited for until it listens.
        const child = spawn("sh", ["-c", `exec ${line.slice(0, -1)}`], { cwd: folder, env })
        background.push(child)
        let stderr = ""
        await new Promise<void>((resolve, reject) => {
          child.stderr!.setEncoding("utf8").on("data", (c: string) => {
            stderr += c
            if (stderr.includes("fazt remote add local")) resolve()
          })
          child.on("exit", (code) => reject(new Error(`${line} exited ${code}: ${stderr}`)))
        })
        expect(stderr, line).toContain(`fazt remote add local http://127.0.0.1:${port}`)
        continue
      }
      last = await new Promise((resolve, reject) => {
        const child = spawn("sh", ["-c", line], { cwd: folder, env })
        let stdout = ""
        let stderr = ""
        child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c))
        child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c))
        child.on("error", reject)
        child.on("close", (code) => resolve({ code, stdout, stderr }))
      })
      expect(last.code, `${line}\n${last.stderr}`).toBe(0)
      if (line.startsWith("fazt remote status")) expect(last.stdout).toMatch(/^NAME +URL +STATUS/)
      if (line.startsWith("fazt remote deploy")) expect(last.stdout).toContain(`http://hello.localhost:${port}/`)
    }
    expect(last.stdout).toBe("<h1>Hello from fazt</h1>\n")
  })
})
