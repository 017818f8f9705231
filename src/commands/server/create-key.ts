import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { NodeKeys } from "../../services/node/NodeKeys.js"
import { GlobalFlags } from "../globals.js"

export const createKey = Command.make(
  "create-key",
  { name: Options.text("name").pipe(Options.withDescription("What the key is for, e.g. laptop")) },
  ({ name }) =>
    Effect.gen(function* () {
      const keys = yield* NodeKeys
      const flags = yield* GlobalFlags
      const key = yield* keys.create(name)
      // The one time the token is shown: on stdout, alone, so it can be piped.
      if (flags.json) return yield* Console.log(JSON.stringify({ data: key }))
      yield* Console.error(`Created API key '${key.name}'. It is shown once; store it now:`)
      yield* Console.log(key.token)
    })
).pipe(
  Command.withDescription(
    "Create an API key for this node (stored as a bcrypt hash in fazt's api_keys table).\n\nExample: fazt server create-key --name laptop | fazt remote set-token local --token-stdin"
  )
)
