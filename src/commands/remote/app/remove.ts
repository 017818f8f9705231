import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { emit, escapeControl } from "../../output.js"
import { appCommand, appReference, field, referenceArgs } from "./gateway.js"
import { appArgument } from "./info.js"

export const remove = Command.make(
  "remove",
  {
    app: appArgument,
    ...appReference,
    withForks: Options.boolean("with-forks").pipe(Options.withDescription("Remove its forks too"))
  },
  ({ alias, app, id, withForks }) =>
    Effect.gen(function* () {
      const args = yield* referenceArgs("remove", app, { alias, id })
      // Removing twice is not removing once: sent again only when the node never saw it.
      const { data, peer } = yield* appCommand(["remove", ...args, ...(withForks ? ["--with-forks"] : [])])
      yield* emit(data, (d) => {
        const removed = field(d, "id") ?? field(d, "alias") ?? ""
        const deleted = Number(field(d, "deleted") ?? "0")
        return escapeControl(
          `${field(d, "message") ?? "Removed"}: ${removed} on ${peer.name}${deleted > 1 ? ` (${deleted} apps, forks included)` : ""}`
        )
      })
    })
).pipe(
  Command.withDescription(
    "Remove an app from a peer, or with --alias only that alias (fazt's 'app remove').\n\nExample: fazt @zyt app remove blog"
  )
)
