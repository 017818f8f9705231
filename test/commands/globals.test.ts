import * as Args from "@effect/cli/Args"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { optionalText, switchFlag } from "../../src/commands/flags.js"
import { expandPeerShorthand, globalFlagNames, globalOptions, hoistGlobalFlags } from "../../src/commands/globals.js"
import { peerName } from "../../src/commands/remote/args.js"
import { commandSpec } from "../../src/commands/spec.js"

// Which words are global flags is read from the root command's own
// definition: a flag added to the global options the obvious way works
// before or after any command, with no second list to keep in step.
describe("global flags come from the command tree, not a list", () => {
  // The real global options plus two a maintainer might add, on a small tree.
  const root = Command.make("fazt", {
    ...globalOptions,
    profile: optionalText("profile", "A named set of defaults"),
    quiet: switchFlag("quiet", "Say less")
  }).pipe(
    Command.withSubcommands([
      Command.make("remote", {}).pipe(
        Command.withSubcommands([
          Command.make("status", { name: Args.text({ name: "name" }).pipe(Args.optional) }),
          Command.make("show", { name: peerName })
        ])
      )
    ])
  )
  const globals = globalFlagNames(commandSpec(root).flags)

  it("knows the new flags, valued and bare", () => {
    expect(globals.valued.has("--profile")).toBe(true)
    expect(globals.bare.has("--quiet")).toBe(true)
    // And the real ones, read the same way.
    for (const flag of ["--db", "--timeout", "--retries", "--peer", "--format"]) expect(globals.valued.has(flag), flag).toBe(true)
    for (const flag of ["--json", "--insecure"]) expect(globals.bare.has(flag), flag).toBe(true)
  })

  it.effect("a flag added to the root parses after the subcommand: fazt remote status --profile x --quiet zyt", () =>
    Effect.gen(function* () {
      const typed = ["remote", "status", "--profile", "x", "--quiet", "zyt"]
      const hoisted = hoistGlobalFlags(typed, globals)
      expect(hoisted).toEqual(["--profile", "x", "--quiet", "remote", "status", "zyt"])
      const directive = yield* Descriptor.parse(root.descriptor, ["fazt", ...hoisted], CliConfig.defaultConfig)
      expect(directive._tag).toBe("UserDefined")
      // The root's options, with the chosen subcommand's value nested under `subcommand`.
      const value = (directive as Extract<typeof directive, { _tag: "UserDefined" }>).value as {
        readonly profile: Option.Option<string>
        readonly quiet: boolean
        readonly subcommand: Option.Option<unknown>
      }
      expect(value.profile).toEqual(Option.some("x"))
      expect(value.quiet).toBe(true)
      // status's positional is the peer, not the flag's value.
      expect(JSON.stringify(value.subcommand)).toContain('"name":{"_id":"Option","_tag":"Some","value":"zyt"}')
    }).pipe(Effect.provide(NodeContext.layer)))

  it("a valued global flag's value is never taken for the verb after @peer", () => {
    expect(expandPeerShorthand(["@zyt", "--profile", "status", "show"], globals, commandSpec(root))).toEqual({
      _tag: "Args",
      args: ["remote", "show", "zyt", "--profile", "status"]
    })
  })
})
