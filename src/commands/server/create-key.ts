import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { descriptionProblem } from "../../domain/Peer.js"
import { Database } from "../../services/db/Database.js"
import { NodeKeys } from "../../services/node/NodeKeys.js"
import { GlobalFlags } from "../globals.js"
import { lostOutput, outputLostError } from "../stdio.js"

/** Longest key name taken: a label for a person, not a place to store data. */
const MAX_KEY_NAME = 100

// The name is printed back and listed by fazt's admin pages: no blank, no control characters.
const keyName = Options.text("name").pipe(
  Options.withDescription("What the key is for, e.g. laptop"),
  Options.mapEffect((name) => {
    const problem = name.trim() === ""
      ? "it is empty"
      : name.length > MAX_KEY_NAME
      ? `it is longer than ${MAX_KEY_NAME} characters`
      : descriptionProblem(name)
    return problem === undefined
      ? Effect.succeed(name)
      : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--name: ${problem}`)))
  })
)

export const createKey = Command.make(
  "create-key",
  { name: keyName },
  ({ name }) =>
    Effect.gen(function* () {
      const keys = yield* NodeKeys
      const flags = yield* GlobalFlags
      const db = yield* Database
      // The key is stored only once it has been printed: its row is written in
      // a transaction that commits after the print, and rolls back when stdout
      // lost it (the disk is full, stdout closed): no hash of a key nobody holds.
      yield* db.transaction(Effect.gen(function* () {
        const key = yield* keys.create(name)
        // The one time the token is shown: on stdout, alone, so it can be piped.
        if (flags.json) yield* Console.log(JSON.stringify({ data: key }))
        else {
          yield* Console.error(`Created API key '${key.name}'. It is shown once; store it now:`)
          yield* Console.log(key.token)
        }
        if (lostOutput()?.fd === 1) return yield* outputLostError()!
      }))
    })
).pipe(
  Command.withDescription(
    "Create an API key for this node (stored as a bcrypt hash in fazt's api_keys table).\n\nExample: fazt server create-key --name laptop | fazt remote set-token local --token-stdin"
  )
)
