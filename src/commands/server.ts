import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import { ServerLayer } from "./layers.js"
import { createKey } from "./server/create-key.js"
import { start } from "./server/start.js"

// Only the verbs open the node's database: `fazt server` alone makes no ./data.db.
export const server = Command.make("server", {}, () =>
  Console.error("fazt server: this machine's own fazt node. Start with 'fazt server create-key --name NAME', then 'fazt server start'; see 'fazt server --help'.")).pipe(
  Command.withDescription(
    "This machine's own fazt node (database ./data.db unless --db or FAZT_DB_PATH).\n\nExample: fazt server create-key --name laptop && fazt server start --port 8080"
  ),
  Command.withSubcommands([Command.provide(createKey, ServerLayer), Command.provide(start, ServerLayer)])
)
