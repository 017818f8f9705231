import { randomBytes } from "node:crypto"
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

describe("deploying large files", () => {
  // The upload reads large files through a ring of reused buffers and waits for
  // the socket between pieces: a buffer reused too early would corrupt a file.
  it("arrive byte-identical: many 1 MiB pieces, odd sizes, stored and deflated", async () => {
    const { node, client } = await nodeAndClient(cleanups)

    const dir = path.join(client, "big-site")
    fs.mkdirSync(dir)
    const text = Buffer.from("fazt deploys static sites to its peers. ".repeat(80_000))
    const files: Record<string, Buffer> = {
      "index.html": Buffer.from("<h1>large</h1>"),
      "text.txt": text, // deflated, in pieces
      "exact.bin": randomBytes(1024 * 1024), // one full piece, then an empty read
      "tail.bin": randomBytes(1024 * 1024 + 1), // a full piece and a 1-byte one
      "mid.bin": randomBytes(300_000) // just over the streaming threshold
    }
    for (let i = 0; i < 12; i++) files[`blob-${i}.bin`] = randomBytes(1024 * 1024 + 4096 * i)
    for (const [rel, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, rel), content)

    const r = await runFazt(["remote", "deploy", dir, "--retries", "0"], { home: client })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    for (const [rel, content] of Object.entries(files)) {
      const served = await getSite(node.port, "big-site", `/${rel}`)
      expect(served.status, rel).toBe(200)
      expect(served.body.equals(content), rel).toBe(true)
    }
  }, 120_000)
})
