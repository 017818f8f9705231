import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const src = path.resolve(__dirname, "..", "src")

interface Edge {
  readonly to: string
  readonly dynamic: boolean
}

/**
 * The edges of one file that exist at run time: `import … from`, `export … from`
 * and `import("…")` of a relative path. Left out, because the compiler (tsc and
 * esbuild alike, `verbatimModuleSyntax` being off) erases them: `import type`,
 * `export type`, and imports whose every name is marked `type`. An import whose
 * names are used only as types but not marked so is kept (counted), to be safe.
 */
const edgesOf = (file: string, text: string): Array<Edge> => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const edges: Array<Edge> = []
  const add = (specifier: ts.Expression | undefined, dynamic: boolean) => {
    if (specifier === undefined || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith(".")) return
    const resolved = path.resolve(path.dirname(file), specifier.text.replace(/\.js$/, ".ts"))
    edges.push({ to: resolved, dynamic })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause
      const bindings = clause?.namedBindings
      const allTypes = clause !== undefined && (clause.isTypeOnly || (
        clause.name === undefined && bindings !== undefined && ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)
      ))
      if (!allTypes) add(node.moduleSpecifier, false)
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause
      const allTypes = node.isTypeOnly ||
        (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly))
      if (!allTypes) add(node.moduleSpecifier, false)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], true)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return edges
}

const filesUnder = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return filesUnder(full)
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : []
  })

/** Every cycle's shortest form, one per strongly connected component, as `a.ts → b.ts → a.ts`. */
const cyclesOf = (graph: ReadonlyMap<string, ReadonlyArray<Edge>>, name: (file: string) => string): Array<string> => {
  // Tarjan: each component of more than one file (or a file importing itself) holds a cycle.
  let index = 0
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const components: Array<Array<string>> = []
  const connect = (v: string) => {
    order.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const { to } of graph.get(v) ?? []) {
      if (!order.has(to)) {
        connect(to)
        low.set(v, Math.min(low.get(v)!, low.get(to)!))
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, order.get(to)!))
      }
    }
    if (low.get(v) === order.get(v)) {
      const component: Array<string> = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).some((e) => e.to === v)) components.push(component)
    }
  }
  for (const v of [...graph.keys()].sort()) if (!order.has(v)) connect(v)

  // In each component, the shortest way back from its first file (breadth-first), edges marked.
  return components.map((component) => {
    const members = new Set(component)
    const start = [...component].sort()[0]!
    const previous = new Map<string, { from: string; dynamic: boolean }>()
    const queue = [start]
    let closing: { from: string; dynamic: boolean } | undefined
    while (queue.length > 0 && closing === undefined) {
      const v = queue.shift()!
      for (const { to, dynamic } of graph.get(v) ?? []) {
        if (!members.has(to)) continue
        if (to === start) {
          closing = { from: v, dynamic }
          break
        }
        if (!previous.has(to)) {
          previous.set(to, { from: v, dynamic })
          queue.push(to)
        }
      }
    }
    const steps: Array<string> = [`${name(start)}`]
    let at = closing!.from
    const arrow = (dynamic: boolean) => (dynamic ? " ⇢ " : " → ")
    let tail = `${arrow(closing!.dynamic)}${name(start)}`
    while (at !== start) {
      const step = previous.get(at)!
      tail = `${arrow(step.dynamic)}${name(at)}${tail}`
      at = step.from
    }
    return steps[0] + tail
  }).sort()
}

const srcGraph = () => {
  const graph = new Map<string, Array<Edge>>()
  for (const file of filesUnder(src)) graph.set(file, edgesOf(file, fs.readFileSync(file, "utf8")))
  return graph
}
const relative = (file: string) => path.relative(src, file)

describe("the import graph of src/", () => {
  it("has no cycle, static (→) or through import() (⇢); type-only imports are not counted", () => {
    const graph = srcGraph()
    // Every relative import resolves to a file under src/ (else the graph would be missing edges).
    const dangling = [...graph].flatMap(([from, edges]) => edges.filter((e) => !graph.has(e.to)).map((e) => `${relative(from)} → ${relative(e.to)}`))
    expect(dangling).toEqual([])
    expect(cyclesOf(graph, relative)).toEqual([])
  })

  it("import() of our own code appears only where layers are composed (lazy.ts's lazyLayer callers)", () => {
    const graph = srcGraph()
    const dynamic = [...graph].flatMap(([from, edges]) => edges.filter((e) => e.dynamic).map((e) => `${relative(from)} ⇢ ${relative(e.to)}`))
    // Seen at all: the parser finds the dynamic edges the cycle check relies on.
    expect(dynamic).toContain("commands/layers.ts ⇢ services/client/HttpTransport.ts")
    expect(dynamic).toContain("commands/layers.ts ⇢ services/client/SiteArchiveZip.ts")
    expect(dynamic).toContain("FaztRemote.ts ⇢ services/client/SiteArchiveZip.ts")
    // `fazt server start` composes its own root: the node's HTTP server, through lazyLayer too.
    expect(dynamic).toContain("commands/server/start.ts ⇢ services/node/NodeServer.ts")
    const outsideRoots = dynamic.filter((e) => !/^(commands\/layers\.ts|FaztRemote\.ts|commands\/server\/start\.ts) ⇢/.test(e))
    expect(outsideRoots).toEqual([
      // Inside the node: the zip reader (and yauzl) load with the first deploy it unpacks, not with `create-key`.
      "services/node/NodeSites.ts ⇢ services/zip/zipReader.ts"
    ])
  })

  it("the check finds and names a cycle, static or through import()", () => {
    const files = ["/s/a.ts", "/s/b.ts", "/s/c.ts", "/s/d.ts", "/s/e.ts"]
    const graph = new Map<string, ReadonlyArray<Edge>>(files.map((f) => [f, []]))
    graph.set("/s/a.ts", [{ to: "/s/b.ts", dynamic: false }])
    graph.set("/s/b.ts", [{ to: "/s/c.ts", dynamic: false }, { to: "/s/d.ts", dynamic: false }])
    graph.set("/s/c.ts", [{ to: "/s/a.ts", dynamic: true }])
    graph.set("/s/e.ts", [{ to: "/s/e.ts", dynamic: false }])
    expect(cyclesOf(graph, (f) => path.basename(f))).toEqual(["a.ts → b.ts → c.ts ⇢ a.ts", "e.ts → e.ts"])
    // And the parser: what is erased is not an edge; what runs is.
    const edges = edgesOf("/s/x.ts", [
      `import type { A } from "./a.js"`,
      `import { type B } from "./b.js"`,
      `import { type C, c } from "./c.js"`,
      `export type { D } from "./d.js"`,
      `export { e } from "./e.js"`,
      `const f = () => import("./f.js")`,
      `import * as G from "effect/Layer"`
    ].join("\n"))
    expect(edges.map((e) => `${path.basename(e.to)}${e.dynamic ? " (dynamic)" : ""}`)).toEqual(["c.ts", "e.ts", "f.ts (dynamic)"])
  })
})
