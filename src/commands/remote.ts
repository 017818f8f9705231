import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { DeployLayer, NetworkLayer, RemoteLayer } from "./layers.js"
import { add } from "./remote/add.js"
import { apps } from "./remote/apps.js"
import { setDefault } from "./remote/default.js"
import { deploy } from "./remote/deploy.js"
import { importLegacyConfig } from "./remote/legacy.js"
import { listPeers } from "./remote/list.js"
import { migrate } from "./remote/migrate.js"
import { remove } from "./remote/remove.js"
import { rename } from "./remote/rename.js"
import { setToken } from "./remote/set-token.js"
import { setUrl } from "./remote/set-url.js"
import { show } from "./remote/show.js"
import { status } from "./remote/status.js"
import { upgrade } from "./remote/upgrade.js"

// Every verb but `migrate` first imports an old config file, once.
const afterImport = <N extends string, R, E, A>(command: Command.Command<N, R, E, A>) =>
  Command.transformHandler(command, (effect) => Effect.zipRight(importLegacyConfig, effect))

// Only the verbs that talk to peers build (and load) the network client; only deploy the zip writer.
const online = <N extends string, R, E, A>(command: Command.Command<N, R, E, A>) =>
  afterImport(Command.provide(command, NetworkLayer))

export const remote = Command.make("remote", {}, () => Effect.zipRight(importLegacyConfig, listPeers)).pipe(
  Command.withDescription("List the peers in this fazt's database (local only).\n\nExample: fazt remote --json"),
  Command.withSubcommands([
    afterImport(add),
    afterImport(remove),
    afterImport(setDefault),
    afterImport(rename),
    afterImport(setUrl),
    afterImport(setToken),
    afterImport(show),
    online(status),
    online(apps),
    online(upgrade),
    afterImport(Command.provide(deploy, DeployLayer)),
    migrate
  ]),
  Command.provide(RemoteLayer)
)
