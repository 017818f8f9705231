import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { main } from "../examples/fleet-status.js"
import { runFazt, tempHome } from "./support/cli.js"
import { startNode } from "./support/node.js"
import { query } from "./support/sqlite.js"

describe("examples/fleet-status.ts", () => {
  it.live("runs against the project's node, exercising every exported service", () =>
    Effect.gen(function* () {
      const home = tempHome()
      const nodeDb = path.join(home, "node.db")
      const token = (yield* Effect.promise(() => runFazt(["server", "create-key", "--name", "example", "--db", nodeDb], { home }))).stdout.trim()
      const node = yield* Effect.acquireRelease(Effect.promise(() => startNode({ db: nodeDb, home })), (n) => Effect.promise(() => n.stop()))
      const site = path.join(home, "site")
      fs.mkdirSync(site)
      fs.writeFileSync(path.join(site, "index.html"), "<h1>from the example</h1>")
      const filename = path.join(home, "client", "data.db")
      // A second peer that is down, so the typed-error branch runs too.
      yield* Effect.promise(() => runFazt(["remote", "add", "down", "http://127.0.0.1:9", "--token", "fzt_down_down_down_down", "--db", filename], { home }))

      const report = yield* main(filename, { url: node.url, token, site })
      expect(report.database).toBe(filename)
      expect(report.legacyImport).toBe("Absent")
      expect(report.deployed).toBe("example: 1 files")
      expect(report.apps).toEqual(["example"])
      expect(report.health).toEqual(["down: unreachable (connection refused)", "local: healthy (fazt 0.1.0)"])
      expect(query(filename, "SELECT name, last_status FROM peers ORDER BY name")).toEqual([
        { name: "down", last_status: "unreachable" },
        { name: "local", last_status: "healthy" }
      ])
    }).pipe(Effect.scoped))
})
