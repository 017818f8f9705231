// `npm run lint` guards the design (eslint.config.mjs): these show that its
// rules reject what they are there for, where they are there for it, and let
// the files that own those jobs do them.
import { ESLint } from "eslint"
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
