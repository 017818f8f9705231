// How the CLI is bundled: shared by scripts/build.mjs (dist/fazt.cjs) and the
// start-up bench, which bundles its @effect/cli floor program the same way so
// the two are compared like for like.
import { build, transform } from "esbuild"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { Script } from "node:vm"
import { basename, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { deepImports } from "./deep-imports.mjs"

// Where better-sqlite3's native addon is built; found from the bundle at run time.
const sqliteAddon = "better-sqlite3/build/Release/better_sqlite3.node"
if (!existsSync(join("node_modules", sqliteAddon))) throw new Error(`${sqliteAddon} is missing: reinstall better-sqlite3`)

// The start-up patches: each edits one file of a dependency as it is
// bundled, and is named so that a build whose dependency changed under it
// fails naming it (docs/BUILD.md: what each one changes, what it measured,
// how to redo it after an upgrade, how to drop it). Each checks that the text
// it replaces is there, exactly once, and fails the build otherwise.
const patchFailed = (patch, path, what) =>
  new Error(`start-up patch "${patch}" no longer fits ${relative(process.cwd(), path)}: ${what}. Redo it for the new version or drop it: docs/BUILD.md, section "${patch}".`)

/** `code` with each [from, to] replaced, every `from` found exactly once. */
const edit = (patch, path, code, edits) => {
  let contents = code
  for (const [from, to] of edits) {
    const at = contents.indexOf(from)
    if (at < 0 || contents.indexOf(from, at + 1) >= 0) {
      throw patchFailed(patch, path, `${at < 0 ? "missing" : "found twice"}: ${JSON.stringify(from.length > 90 ? `${from.slice(0, 90)}…` : from)}`)
    }
    contents = contents.replace(from, () => to)
  }
  return contents
}

export const PATCHES = [
  {
    // effect's Utils.js formats a stack trace at load to learn whether a
    // function name survived minification; formatting it makes V8 index the
    // line ends of the whole bundle (~13 M instructions). We keep names, so
    // the answer is known: true.
    name: "effect-stack-probe",
    filter: /[\\/]effect[\\/]dist[\\/]esm[\\/]Utils\.js$/,
    apply: (code, path) => edit("effect-stack-probe", path, code, [
      ['standard.effect_internal_function(() => new Error().stack)?.includes("effect_internal_function") === true', "true"]
    ])
  },
  {
    // Each of @effect/cli's prompts renders its terminal bell at load (~110
    // Effect operations at every start); fazt shows no prompt: render it on use.
    name: "cli-prompt-bell",
    filter: /[\\/]@effect[\\/]cli[\\/]dist[\\/]esm[\\/]internal[\\/]prompt[\\/][\w-]+\.js$/,
    apply: (code, path) => {
      if (!code.includes("renderBeep")) return undefined
      const contents = edit("cli-prompt-bell", path, code, [
        ['const renderBeep = /*#__PURE__*/Doc.render(Doc.beep, {\n  style: "pretty"\n});', 'const renderBeep = () => Doc.render(Doc.beep, { style: "pretty" });']
      ]).replace(/Effect\.succeed\(renderBeep\)/g, "Effect.sync(renderBeep)")
      if (/renderBeep(?!\)| =)/.test(contents.replace(/Effect\.sync\(renderBeep\)/g, ""))) {
        throw patchFailed("cli-prompt-bell", path, "renderBeep is used other than as Effect.succeed(renderBeep)")
      }
      return contents
    }
  },
  {
    // effect's logger module reads process.stdout at load (to choose the
    // pretty logger's colours), which creates the stream: for a pipe or a
    // terminal, Node's net module and a socket (src/commands/stdio.ts). fazt
    // never uses the pretty logger: make it, and read stdout, on first use.
    name: "effect-logger-stdout",
    filter: /[\\/]effect[\\/]dist[\\/]esm[\\/]internal[\\/]logger\.js$/,
    apply: (code, path) => {
      const contents = edit("effect-logger-stdout", path, code, [
        ['const hasProcessStdout = typeof process === "object" && process !== null && typeof process.stdout === "object" && process.stdout !== null;',
          'const hasProcessStdout = () => typeof process === "object" && process !== null && typeof process.stdout === "object" && process.stdout !== null;'],
        ["const processStdoutIsTTY = hasProcessStdout && process.stdout.isTTY === true;", "const processStdoutIsTTY = () => hasProcessStdout() && process.stdout.isTTY === true;"],
        ['const hasProcessStdoutOrDeno = hasProcessStdout || "Deno" in globalThis;', 'const hasProcessStdoutOrDeno = () => hasProcessStdout() || "Deno" in globalThis;'],
        ['mode_ === "auto" ? hasProcessStdoutOrDeno ? "tty" : "browser" : mode_;', 'mode_ === "auto" ? hasProcessStdoutOrDeno() ? "tty" : "browser" : mode_;'],
        ["options.colors : processStdoutIsTTY || isBrowser;", "options.colors : processStdoutIsTTY() || isBrowser;"],
        ['globalValue("effect/Logger/prettyLoggerDefault", () => prettyLogger());',
          'globalValue("effect/Logger/prettyLoggerDefault", () => { let made; return makeLogger((options) => (made ??= prettyLogger()).log(options)); });']
      ])
      if (/\b(hasProcessStdout|processStdoutIsTTY|hasProcessStdoutOrDeno)\b(?!\(| =)/.test(contents)) {
        throw patchFailed("effect-logger-stdout", path, "the logger reads stdout somewhere else too")
      }
      return contents
    }
  },
  {
    // effect's clock learns at load how far its high-resolution time is from
    // the epoch by reading `performance.now()`, and the first read of
    // `performance` makes Node load perf_hooks (~4 M instructions). Under
    // Node, where process.hrtime is what the clock uses, Date.now() gives
    // the same origin.
    name: "effect-clock-origin",
    filter: /[\\/]effect[\\/]dist[\\/]esm[\\/]internal[\\/]clock\.js$/,
    apply: (code, path) => edit("effect-clock-origin", path, code, [
      ["const origin = /*#__PURE__*/performanceNowNanos() - /*#__PURE__*/processHrtime.bigint();", "const origin = BigInt(Date.now()) * BigInt(1_000_000) - processHrtime.bigint();"],
      ['if (typeof performance === "undefined" || typeof performance.now !== "function") {', 'if (typeof process === "object" || typeof performance === "undefined" || typeof performance.now !== "function") {']
    ])
  }
]

// Start-up levers applied while bundling (docs/BUILD.md; figures in the README's "Performance").
const startupPlugin = {
  name: "fazt-startup",
  setup(build) {
    // Barrel imports of effect and @effect/* (`import { Effect } from "effect"`)
    // made deep, even in code written after scripts/deep-imports.mjs last ran.
    build.onLoad({ filter: /[\\/](src|bench)[\\/].*\.ts$/ }, (args) => ({
      contents: deepImports(readFileSync(args.path, "utf8")),
      loader: "ts"
    }))
    for (const patch of PATCHES) {
      build.onLoad({ filter: patch.filter }, (args) => {
        const contents = patch.apply(readFileSync(args.path, "utf8"), args.path)
        return contents === undefined ? undefined : { contents, loader: "js" }
      })
    }
    // better-sqlite3's JavaScript is bundled (so it is in the code cache
    // too), and its native addon is loaded from the path node-gyp and
    // prebuild-install both write, instead of through `bindings`, which
    // formats a stack trace and probes a dozen paths on every start.
    build.onResolve({ filter: /^bindings$/ }, (args) =>
      /[\\/]better-sqlite3[\\/]/.test(args.importer) ? { path: "better-sqlite3-addon", namespace: "fazt-startup" } : undefined)
    build.onLoad({ filter: /^better-sqlite3-addon$/, namespace: "fazt-startup" }, () => ({
      contents: `module.exports = () => require(${JSON.stringify(sqliteAddon)})`,
      loader: "js"
    }))
  }
}

// A binding list of an `import { … }` or `export { … }` statement: [name, alias].
const bindings = (list) =>
  list.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(s)
    if (!m) throw new Error(`bundle-cli: cannot read the binding '${s}'`)
    return [m[1], m[2] ?? m[1]]
  })

// Each member of a Node module, required on first use and then a plain property
// (calls get the namespace as `this`, as through an ESM import); members the
// build did not list are read through the prototype.
const LAZY_BUILTIN = `var __faztLazyBuiltin = (id, members, esModule) => {
  const ns = Object.create(new Proxy({}, { get: (_, member) => { const m = require(id); return esModule && member === "default" ? m : m[member]; } }));
  for (const member of members) Object.defineProperty(ns, member, { configurable: true, enumerable: true, get() {
    const m = require(id);
    const value = esModule && member === "default" ? m : m[member];
    Object.defineProperty(ns, member, { configurable: true, enumerable: true, writable: true, value });
    return value;
  } });
  return ns;
};
`

const chunkFile = (specifier) => specifier.replace(/\.js$/, ".cjs")

/**
 * One esbuild ESM output file (entry or chunk) as a CommonJS function body
 * that bin/fazt.cjs runs: imports of other chunks become `require`s at the
 * top (ESM evaluates what a module imports before its body; esbuild's chunk
 * graph has no cycles, so each import is complete when it is read), exports
 * become `module.exports`, `import()` of a chunk a `require` on first use, and
 * Node's built-in modules are required on first use of one of their members
 * (loading `crypto`, `readline` or `worker_threads` costs ~3–10 M instructions
 * each, and most commands never touch them).
 */
const toCommonJs = async (esm) => {
  const head = []
  let code = esm.replace(/^import\s*\{([^}]*)\}\s*from\s*"(\.\/[^"]+)";\n/gm, (_, list, specifier) => {
    head.push(`const { ${bindings(list).map(([name, alias]) => (name === alias ? name : `${name}: ${alias}`)).join(", ")} } = require(${JSON.stringify(chunkFile(specifier))});`)
    return ""
  })
  code = code.replace(/^import\s*"(\.\/[^"]+)";\n/gm, (_, specifier) => {
    head.push(`require(${JSON.stringify(chunkFile(specifier))});`)
    return ""
  })
  let exported = ""
  code = code.replace(/^export\s*\{([^}]*)\};\n/gm, (_, list) => {
    if (exported) throw new Error("bundle-cli: two export statements in one chunk")
    exported = `module.exports = { ${bindings(list).map(([name, alias]) => (name === alias ? name : `${alias}: ${name}`)).join(", ")} };\n`
    return ""
  })
  code = code.replace(/\bimport\("(\.\/[^"]+)"\)/g, (_, specifier) => `Promise.resolve().then(() => require(${JSON.stringify(chunkFile(specifier))}))`)
  // What is left are imports of Node's modules: esbuild turns them into
  // `var x=require("node:fs")` with every use written `x.member` (and drops comments).
  const cjs = (await transform(`${head.join("\n")}\n${code}`, { loader: "js", format: "cjs", platform: "node", target: "node20", minifyWhitespace: true })).code
  const lazy = cjs.replace(/\bvar ([\w$]+)=(__toESM\()?require\("([\w:/]+)"\)(?:,1)?\)?;/g, (line, name, esModule, id, offset) => {
    const escaped = name.replace(/\$/g, "\\$")
    // Every mention of the name but the declaration, less words in strings
    // ("node:readline") and object keys (`{path:p}`).
    const uses = [...cjs.matchAll(new RegExp(`(?<![\\w$.'"/@-]|node:)${escaped}(?![\\w$'"/-])(\\.[\\w$]+)?`, "g"))]
      .filter((u) => u.index !== offset + "var ".length)
      .filter((u) => u[1] !== undefined || !/^\s*:/.test(cjs.slice(u.index + u[0].length)) || /\?\s*$/.test(cjs.slice(0, u.index)))
    // Used other than as `x.member` (passed whole, say): required at once, as before.
    const whole = uses.find((u) => u[1] === undefined)
    if (whole) {
      if (process.env.FAZT_BUNDLE_DEBUG) console.error(`eager ${id}: ${cjs.slice(whole.index - 60, whole.index + 60)}`)
      return line
    }
    // The members read (a generous list: a member it misses still works, through the prototype).
    const members = [...new Set([...cjs.matchAll(new RegExp(`(?<![\\w$.])${escaped}\\.([\\w$]+)`, "g"))].map((m) => m[1]))]
    return `var ${name} = __faztLazyBuiltin(${JSON.stringify(id)}, ${JSON.stringify(members)}, ${esModule ? "true" : "false"});`
  })
  const helper = lazy === cjs ? "" : LAZY_BUILTIN
  const minified = (await transform(helper + lazy + exported, { loader: "js", minifyWhitespace: true, minifySyntax: true, charset: "ascii", target: "node20" })).code
  // Refuses what is left of ESM syntax: the launcher runs each file as a script.
  new Script(minified)
  return minified
}

/**
 * The CLI as CommonJS files in `outdir`: `fazt.cjs`, the entry, and
 * `fazt-<hash>.cjs` chunks for code reached only through `import()` (the HTTP
 * client, the zip writer and reader, bcrypt, the node's server) and for code
 * those share with the entry. bin/fazt.cjs runs each file through vm.Script
 * with V8's code cache (`<file>.cache`) instead of having Node parse it on
 * every start, and reads a chunk only when a command first needs it.
 */
export const bundleCli = async ({ entry, outdir }) => {
  const result = await build({
    bundle: true,
    platform: "node",
    target: "node20",
    // ESM so that esbuild can split: a CommonJS bundle wraps every module
    // reachable through import() in an `__esm` initialiser and still ships
    // (and V8 still reads) all of it in one file. Turned into CommonJS below.
    format: "esm",
    splitting: true,
    write: false,
    metafile: true,
    sourcemap: false,
    logLevel: "warning",
    charset: "ascii",
    entryPoints: { fazt: entry },
    outdir,
    chunkNames: "fazt-[hash]",
    plugins: [startupPlugin],
    // Native addons stay files of their own.
    external: ["*.node"],
    // Parsers @effect/cli offers for config files, and effect's property testing: never used here.
    alias: Object.fromEntries(["yaml", "toml", "ini", "fast-check"].map((m) => [m, fileURLToPath(new URL("stubs/unused.cjs", import.meta.url))]))
  })
  mkdirSync(outdir, { recursive: true })
  // Chunks (and code caches) of an earlier build go: their names change with their contents.
  for (const name of readdirSync(outdir)) if (/^fazt(-\w+)?\.cjs(\.cache.*)?$|^fazt-chunks\.json$/.test(name)) rmSync(join(outdir, name))
  // Which of our modules (and of node_modules) each file holds: a module's
  // top level runs when its file is loaded (test/import-cli.test.ts reads this).
  const modules = Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, output]) =>
    [basename(chunkFile(file)), Object.keys(output.inputs).filter((m) => !m.includes(":")).sort()]))
  writeFileSync(join(outdir, "fazt-chunks.json"), `${JSON.stringify(modules, null, 1)}\n`)
  for (const file of result.outputFiles) {
    const code = await toCommonJs(file.text)
    // The launcher reads each file as latin1 (no UTF-8 decoding): it must stay ASCII.
    if (/[^\x00-\x7f]/.test(code)) throw new Error(`${file.path} is not pure ASCII`)
    writeFileSync(chunkFile(file.path), code)
  }
}
