import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { InvalidInput } from "../domain/errors.js"
import { MAX_RETRIES } from "../domain/transportPolicy.js"
import { GlobalFlags, globalOptions, parseDuration } from "./globals.js"
import { VERSION } from "../version.js"
import { remote } from "./remote.js"
import { server } from "./server.js"

export const fazt = Command.make("fazt", globalOptions, () =>
  Console.error("fazt: manage the peers of this fazt. Start with 'fazt remote' or 'fazt --help'.")).pipe(
    Command.withDescription(
      "A personal PaaS in one binary and one SQLite file; 'remote' talks to other fazt nodes.\n\nExample: fazt @zyt status --json"
    ),
    Command.withSubcommands([remote, server]),
    Command.provideEffect(GlobalFlags, (flags) =>
      Effect.gen(function* () {
        const timeout = parseDuration(flags.timeout)
        if (Option.isNone(timeout)) {
          return yield* new InvalidInput({ message: `--timeout ${flags.timeout}: expected e.g. 30s, 500ms, 2m` })
        }
        if (flags.retries < 0 || flags.retries > MAX_RETRIES) {
          return yield* new InvalidInput({ message: `--retries ${flags.retries}: expected 0 to ${MAX_RETRIES}` })
        }
        if (Option.isSome(flags.db) && flags.db.value.trim() === "") {
          return yield* new InvalidInput({ message: "--db is empty: give the path of a database file" })
        }
        return {
          json: flags.json,
          db: flags.db,
          timeout: timeout.value,
          retries: flags.retries,
          insecure: flags.insecure,
          peer: flags.peer
        }
      }))
  )

export const cli = Command.run(fazt, { name: "fazt", version: VERSION })
