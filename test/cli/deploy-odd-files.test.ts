import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { runFazt } from "../support/cli.js"
import { getSite } from "../support/http.js"
import { nodeAndClient } from "../support/node.js"

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

describe("fazt remote deploy of files a zip finds odd", () => {
  it("a file dated 2200 deploys (exit 0, served as is) instead of an internal error", async () => {
    const { node, client } = await nodeAndClient(cleanups)
    const dir = path.join(client, "future")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "index.html"), "<h1>from 2200</h1>")
    const future = new Date("2200-01-01T00:00:00Z")
    fs.utimesSync(path.join(dir, "index.html"), future, future)

    const r = await runFazt(["remote", "deploy", dir], { home: client })
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" })
    expect(r.stdout).toContain("Deployed future to local: 1 file")
    expect((await getSite(node.port, "future", "/")).body.toString()).toBe("<h1>from 2200</h1>")
  })
})
