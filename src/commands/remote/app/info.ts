import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { emit, formatBytes } from "../../output.js"
import { appCommand, appReference, field, labelled, listField, referenceArgs } from "./gateway.js"

export const appArgument = Args.text({ name: "app" }).pipe(Args.withDescription("The app's ID or one of its aliases"), Args.optional)

export const info = Command.make("info", { app: appArgument, ...appReference }, ({ alias, app, id }) =>
  Effect.gen(function* () {
    const args = yield* referenceArgs("info", app, { alias, id })
    const { data } = yield* appCommand(["info", ...args], true)
    yield* emit(data, (d) => {
      const size = field(d, "size_bytes")
      const aliases = listField(d, "aliases")
      const original = field(d, "original_id")
      return labelled([
        ["ID", field(d, "id")],
        ["Title", field(d, "title")],
        ["Description", field(d, "description")],
        ["Visibility", field(d, "visibility")],
        ["Source", field(d, "source")],
        ["Files", field(d, "file_count")],
        ["Size", size === undefined ? undefined : formatBytes(Number(size))],
        ["Aliases", aliases.length === 0 ? undefined : aliases.join(", ")],
        ["URL", field(d, "url")],
        ["Original", original !== field(d, "id") ? original : undefined],
        ["Forked from", field(d, "forked_from_id")]
      ])
    })
  })).pipe(Command.withDescription("Show one app on a peer (fazt's 'app info').\n\nExample: fazt @zyt app info blog"))
