import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { emit } from "../../output.js"
import { appCommand, appReference, field, labelled, referenceArgs } from "./gateway.js"

export const fork = Command.make(
  "fork",
  {
    ...appReference,
    as: Options.text("as").pipe(Options.withDescription("An alias (sub-domain) for the fork"), Options.optional),
    noStorage: Options.boolean("no-storage").pipe(Options.withDescription("Do not copy the app's stored data"))
  },
  ({ alias, as, id, noStorage }) =>
    Effect.gen(function* () {
      const args = yield* referenceArgs("fork", Option.none(), { alias, id }, false)
      const { data } = yield* appCommand([
        "fork",
        ...args,
        ...(Option.isSome(as) ? ["--as", as.value] : []),
        ...(noStorage ? ["--no-storage"] : [])
      ])
      yield* emit(data, (d) =>
        labelled([
          ["Forked", field(d, "id")],
          ["Title", field(d, "title")],
          ["From", field(d, "forked_from_id")],
          ["Alias", field(d, "alias")],
          ["URL", field(d, "url")]
        ]))
    })
).pipe(Command.withDescription("Copy an app under a new ID (fazt's 'app fork').\n\nExample: fazt @zyt app fork --alias blog --as blog-next"))
