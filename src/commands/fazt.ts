import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import { GlobalFlags, globalOptions } from "./globals.js"
import { VERSION } from "../version.js"
import { remote } from "./remote.js"
import { server } from "./server.js"

export const fazt = Command.make("fazt", globalOptions, () =>
  Console.error("fazt: manage the peers of this fazt. Start with 'fazt remote' or 'fazt --help'.")).pipe(
    Command.withDescription(
      "A personal PaaS in one binary and one SQLite file; 'remote' talks to other fazt nodes.\n\nExample: fazt @zyt status --json"
    ),
    Command.withSubcommands([remote, server]),
    // The flags' values are checked where they are defined (globals.ts).
    Command.provideSync(GlobalFlags, (flags) => flags)
  )

export const cli = Command.run(fazt, { name: "fazt", version: VERSION })
