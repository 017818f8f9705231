import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { complete } from "../../src/commands/completion.js"
import { fazt } from "../../src/commands/fazt.js"
import { expandPeerShorthand, globalFlagNames, globalOptions } from "../../src/commands/globals.js"
import { renderHelp } from "../../src/commands/help.js"
import { withLiveLine } from "../../src/commands/layers.js"
import { online } from "../../src/commands/remote.js"
import { optionalPeerName, peerName } from "../../src/commands/remote/args.js"
import { allCommands, type CommandSpec, commandSpec, storedPeer, takesPeerFirst } from "../../src/commands/spec.js"
import { FaztRemote } from "../../src/FaztRemote.js"
import { PeerClient } from "../../src/services/client/PeerClient.js"

// Which commands go online, and which arguments name a stored peer, are
// read from the command tree: a verb added the obvious way (wrapped in
// `online`, taking `peerName`) gets the network flags in help and
// completion, the peers' names in completion, and `fazt @name verb`, with no
// second list to keep in step.

const NETWORK_FLAGS = ["--timeout", "--retries", "--insecure", "--peer"]

/** The real global options, and verbs a maintainer might add under `remote`. */
const root = Command.make("fazt", globalOptions).pipe(
  Command.withSubcommands([
    Command.make("remote", {}).pipe(
      Command.withSubcommands([
        // Goes online, names a stored peer first: `fazt @zyt ping`.
        online(Command.make("ping", { name: peerName })),
        // Goes online, the peer optional: `fazt @zyt probe` takes --peer.
        online(Command.make("probe", { name: optionalPeerName })),
        // Local, a stored peer second.
        Command.make("pair", {
          label: Args.text({ name: "label" }).pipe(Args.withDescription("A label")),
          peer: storedPeer(Args.text({ name: "peer" })).pipe(Args.withDescription("The peer to pair with"))
        }),
        // Local, a name that is not a stored peer's (as `add`'s).
        Command.make("note", { name: Args.text({ name: "name" }).pipe(Args.withDescription("The peer's name")) })
      ])
    )
  ])
)
const tree = commandSpec(root)
const globals = globalFlagNames(tree.flags)
const at = (spec: CommandSpec, path: string): CommandSpec => {
  const found = allCommands(spec).find((c) => c.path.join(" ") === path)
  if (found === undefined) throw new Error(`no command ${path}`)
  return found
}
/** What completion offers after `fazt <words…>`: flags when `current` starts with `-`. */
const offered = (words: ReadonlyArray<string>, current: string) => complete(tree, ["fazt", ...words, current], words.length + 1)

describe("the verbs that go online come from online(...), not a list", () => {
  it("commandSpec marks the verbs wrapped in online, and only them", () => {
    expect(at(tree, "fazt remote ping").online).toBe(true)
    expect(at(tree, "fazt remote probe").online).toBe(true)
    expect(at(tree, "fazt remote pair").online).toBe(false)
    expect(at(tree, "fazt remote note").online).toBe(false)
    expect(at(tree, "fazt remote").online).toBe(false)
  })

  it("help lists the network flags for a verb wrapped in online, not for a local one", () => {
    const ping = renderHelp(tree, at(tree, "fazt remote ping"))
    const note = renderHelp(tree, at(tree, "fazt remote note"))
    expect(ping).toContain("--timeout DURATION")
    for (const flag of NETWORK_FLAGS) {
      expect(ping, flag).toContain(`  ${flag}`)
      expect(note, flag).not.toContain(`  ${flag}`)
    }
    expect(note).toContain("--db PATH")
  })

  it("completion offers the network flags for a verb wrapped in online, not for a local one", () => {
    const values = (words: ReadonlyArray<string>) => offered(words, "--").candidates.map((c) => c.value)
    for (const flag of NETWORK_FLAGS) {
      expect(values(["remote", "ping"]), flag).toContain(flag)
      expect(values(["remote", "note"]), flag).not.toContain(flag)
    }
  })

  it("the real tree: every verb that talks to peers, info and the app verbs too", () => {
    const real = commandSpec(fazt)
    expect(allCommands(real).filter((c) => c.online).map((c) => c.path.slice(1).join(" ")).sort()).toEqual([
      "remote app",
      "remote app deploy",
      "remote app fork",
      "remote app info",
      "remote app lineage",
      "remote app link",
      "remote app list",
      "remote app remove",
      "remote app reserve",
      "remote app unlink",
      "remote apps",
      "remote deploy",
      "remote info",
      "remote status",
      "remote upgrade"
    ])
    expect(renderHelp(real, at(real, "fazt remote info"))).toContain("--timeout DURATION")
    expect(renderHelp(real, at(real, "fazt remote show"))).not.toContain("--timeout")
  })
})

describe("the arguments that name a stored peer come from the argument, not its description", () => {
  it("commandSpec marks peerName, optionalPeerName and storedPeer(...), wherever they stand, and no other argument", () => {
    expect(at(tree, "fazt remote ping").args.map((a) => a.peer)).toEqual([true])
    expect(at(tree, "fazt remote probe").args.map((a) => [a.peer, a.optional])).toEqual([[true, true]])
    expect(at(tree, "fazt remote pair").args.map((a) => a.peer)).toEqual([false, true])
    // Its description reads like a peer's; it is not marked, so it is not one.
    expect(at(tree, "fazt remote note").args.map((a) => a.peer)).toEqual([false])
  })

  it("the mark changes nothing help shows", () => {
    const plain = commandSpec(
      Command.make("fazt", globalOptions).pipe(
        Command.withSubcommands([
          Command.make("remote", {}).pipe(Command.withSubcommands([
            online(Command.make("ping", { name: Args.text({ name: "name" }).pipe(Args.withDescription("The peer's name")) }))
          ]))
        ])
      )
    )
    expect(renderHelp(tree, at(tree, "fazt remote ping"))).toBe(renderHelp(plain, at(plain, "fazt remote ping")))
  })

  it("fazt @zyt <verb> puts the name first for a verb whose first argument is a stored peer, required", () => {
    expect(takesPeerFirst(at(tree, "fazt remote ping"))).toBe(true)
    expect(expandPeerShorthand(["@zyt", "ping", "--json"], globals, tree)).toEqual({
      _tag: "Args",
      args: ["remote", "ping", "zyt", "--json"]
    })
    // Optional peer, a stored peer second, or a name that is no stored peer: --peer.
    for (const verb of ["probe", "pair", "note"]) {
      expect(expandPeerShorthand(["@zyt", verb], globals, tree), verb).toEqual({ _tag: "Args", args: ["--peer", "zyt", "remote", verb] })
    }
  })

  it("completion offers the peers' names where a marked argument stands, and only there", () => {
    expect(offered(["remote", "ping"], "").peers).toBe("")
    expect(offered(["remote", "probe"], "").peers).toBe("")
    expect(offered(["remote", "pair"], "").peers).toBeUndefined()
    expect(offered(["remote", "pair", "mylabel"], "").peers).toBe("")
    expect(offered(["remote", "note"], "").peers).toBeUndefined()
  })

  it("the real tree: show, remove, default, set-url, set-token and rename take the name first; rm (remove) too", () => {
    const real = commandSpec(fazt)
    const remote = at(real, "fazt remote")
    expect(remote.children.filter(takesPeerFirst).map((c) => c.name).sort()).toEqual(
      ["default", "remove", "rename", "set-token", "set-url", "show"]
    )
    expect(expandPeerShorthand(["@zyt", "rm"], globalFlagNames(real.flags), real)).toEqual({ _tag: "Args", args: ["remote", "rm", "zyt"] })
    expect(expandPeerShorthand(["@zyt", "status"], globalFlagNames(real.flags), real)).toEqual({
      _tag: "Args",
      args: ["--peer", "zyt", "remote", "status"]
    })
  })
})

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

describe("which PeerClient calls show 'Waiting for …' is decided for every method", () => {
  it("a method added to PeerClient.Service does not compile until withLiveLine (layers.ts) gives it its feedback", () => {
    // A scratch project inside the checkout (so that effect resolves) that adds a method to the interface.
    const scratch = fs.mkdtempSync(path.join(repo, ".lint-scratch-"))
    try {
      fs.writeFileSync(
        path.join(scratch, "tsconfig.json"),
        JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { rootDir: "..", noEmit: true }, include: ["more.ts"] })
      )
      fs.writeFileSync(
        path.join(scratch, "more.ts"),
        [
          'import type * as Effect from "effect/Effect"',
          'import type { Peer } from "../src/domain/Peer.js"',
          'import "../src/commands/layers.js"',
          'declare module "../src/services/client/PeerClient.js" {',
          "  namespace PeerClient {",
          "    interface Service {",
          "      readonly ping: (peer: Peer) => Effect.Effect<void>",
          "    }",
          "  }",
          "}",
          ""
        ].join("\n")
      )
      const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc")
      const r = spawnSync(process.execPath, [tsc, "-p", path.join(scratch, "tsconfig.json")], { cwd: repo, encoding: "utf8" })
      expect(r.stdout).toMatch(/src\/commands\/layers\.ts\(\d+,\d+\): error TS2741: Property 'ping' is missing/)
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true })
    }
  }, 120_000)

  it.effect("the CLI's client has every method of the real one: the deploys as they are, every other call wrapped", () =>
    Effect.gen(function* () {
      const client = yield* PeerClient
      const shown = withLiveLine(client)
      expect(Object.keys(shown).sort()).toEqual(Object.keys(client).sort())
      const own = ["deploy", "deployFolder", "deployFolderTo"]
      for (const [name, call] of Object.entries(shown)) {
        expect(call === client[name as keyof PeerClient.Service], name).toBe(own.includes(name))
      }
    }).pipe(Effect.provide(PeerClient.layerWithoutRecording.pipe(Layer.provide(FaztRemote.httpTransport({ retries: 0 }))))))
})
