import { describe, expect, it } from "vitest"
import { homeWithPeer, runFazt } from "../support/cli.js"
import { closedPort } from "../support/scriptedPeer.js"

describe("--json: how a peer was unreachable is in the envelope's details", () => {
  it("remote status of a peer on a closed port: exit 5, PEER_UNREACHABLE with details.kind 'refused'", async () => {
    const port = await closedPort()
    const home = await homeWithPeer(`http://127.0.0.1:${port}`, "fzt_kind_test_token_000000")
    const r = await runFazt(["remote", "status", "--retries", "0", "--json"], { home })
    expect(r.code).toBe(5)
    expect(r.stdout).toBe("")
    const { error } = JSON.parse(r.stderr) as { error: { code: string; details: Record<string, unknown> } }
    expect(error.code).toBe("PEER_UNREACHABLE")
    expect(error.details).toEqual({ peer: "p", url: `http://127.0.0.1:${port}`, kind: "refused", reason: "connection refused" })
  })
})
