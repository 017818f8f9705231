// `npm run lint` guards the design (eslint.config.mjs): these show that its
// rules reject what they are there for, where they are there for it, and let
// the files that own those jobs do them.
import { ESLint } from "eslint"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const eslint = new ESLint({ cwd: root })

/** The rules that `code` breaks, as if it were the file `file` of this repository. */
const broken = async (file: string, code: string): Promise<ReadonlyArray<string | null>> => {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) })
  return result!.messages.map((m) => m.ruleId)
}

describe("npm run lint", () => {
  it("rejects a console.log in src/commands/", async () => {
    expect(await broken("src/commands/newverb.ts", 'export const run = () => console.log("hello")\n')).toEqual(["no-console"])
  })

  it("rejects process.stdout and process.stderr outside the one writer", async () => {
    expect(await broken("src/services/x.ts", 'export const f = () => process.stdout.write("a")\n')).toEqual(["no-restricted-properties"])
    expect(await broken("src/commands/x.ts", "export const w = () => process.stderr.columns\n")).toEqual(["no-restricted-properties"])
  })

  it("lets the one writer (src/commands/stdio.ts) write", async () => {
    expect(await broken("src/commands/stdio.ts", 'export const f = () => process.stdout.write("a")\n')).toEqual([])
  })

  it("rejects import() of our own code outside the composition roots, and allows it in them", async () => {
    const lazy = 'export const f = () => import("../services/client/HttpTransport.js")\n'
    expect(await broken("src/commands/status.ts", lazy)).toEqual(["no-restricted-syntax"])
    expect(await broken("src/commands/layers.ts", lazy)).toEqual([])
    // A dependency may be loaded on first use anywhere.
    expect(await broken("src/services/node/x.ts", 'export const f = () => import("bcryptjs")\n')).toEqual([])
  })
})

describe("npm run lint's second half: the effect language service, warnings as errors", () => {
  it("refuses a floating Effect (one neither yielded nor assigned: it would never run)", () => {
    // A scratch project inside the checkout (so that effect resolves), outside tsconfig.json's folders.
    const scratch = fs.mkdtempSync(path.join(root, ".lint-scratch-"))
    try {
      fs.writeFileSync(path.join(scratch, "tsconfig.json"), JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { rootDir: "." }, include: ["floating.ts"] }))
      fs.writeFileSync(
        path.join(scratch, "floating.ts"),
        'import * as Effect from "effect/Effect"\nexport const program = Effect.gen(function* () {\n  Effect.log("never runs")\n  yield* Effect.log("runs")\n})\n'
      )
      const cli = path.join(root, "node_modules", "@effect", "language-service", "cli.js")
      const r = spawnSync(process.execPath, [cli, "diagnostics", "--project", path.join(scratch, "tsconfig.json"), "--strict", "--format", "text"], { cwd: root, encoding: "utf8" })
      expect(r.stdout).toMatch(/floating\.ts\(3,3\): error effect\(floatingEffect\)/)
      expect(r.status).toBe(1)
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true })
    }
  }, 120_000)
})
