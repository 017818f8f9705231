import * as Command from "@effect/cli/Command"
import { ServerLayer } from "./layers.js"
import { createKey } from "./server/create-key.js"
import { start } from "./server/start.js"

export const server = Command.make("server", {}).pipe(
  Command.withDescription(
    "This machine's own fazt node (database ./data.db unless --db or FAZT_DB).\n\nExample: fazt server create-key --name laptop && fazt server start --port 8080"
  ),
  Command.withSubcommands([createKey, start]),
  Command.provide(ServerLayer)
)
