import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { emit, escapeControl } from "../../output.js"
import { appCommand, field } from "./gateway.js"

export const subdomain = Args.text({ name: "subdomain" }).pipe(Args.withDescription("The sub-domain (alias), e.g. blog"))

export const link = Command.make(
  "link",
  { subdomain, id: Options.text("id").pipe(Options.withDescription("The app the sub-domain points to (app_…)")) },
  ({ id, subdomain }) =>
    Effect.gen(function* () {
      const { data } = yield* appCommand(["link", subdomain, "--id", id])
      yield* emit(data, (d) => {
        const url = field(d, "url")
        return escapeControl(`Linked ${subdomain} → ${id}`) + (url === undefined ? "" : `\n${escapeControl(url)}`)
      })
    })
).pipe(Command.withDescription("Point a sub-domain at an app (fazt's 'app link').\n\nExample: fazt @zyt app link blog --id app_1a2b3c4d"))
