import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { DeployLayer, DryRunDeployLayer, NetworkLayer, RemoteLayer } from "./layers.js"
import { add } from "./remote/add.js"
import { appDescription, appVerbs } from "./remote/app.js"
import { apps, listApps } from "./remote/apps.js"
import { info } from "./remote/info.js"
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
import { goesOnline } from "./spec.js"

// Every verb but `migrate` first imports an old config file, once.
const afterImport = <N extends string, R, E, A>(command: Command.Command<N, R, E, A>) =>
  Command.transformHandler(command, (effect) => Effect.zipRight(importLegacyConfig, effect))

/**
 * A verb that talks to peers: only these build (and load) the network client,
 * and only deploy the zip writer. Each is marked `goesOnline` as well, which
 * is how help and completion know the network flags apply to it: a verb
 * added as `online(verb)` has them everywhere at once.
 */
export const online = <N extends string, R, E, A>(command: Command.Command<N, R, E, A>) =>
  goesOnline(afterImport(Command.provide(command, NetworkLayer)))

const deployOnline = goesOnline(afterImport(Command.provide(deploy, (args) => (args.dryRun ? DryRunDeployLayer : DeployLayer))))

/**
 * fazt v0.29's `app` noun (`fazt @zyt app list`): the gateway verbs, and
 * deploy. Alone it lists the apps, with the network client its handler
 * provides itself (`online` would provide it to every verb below again).
 */
const app = Command.make("app", {}, () =>
  Effect.zipRight(importLegacyConfig, Effect.provide(listApps({ name: Option.none(), aliases: false }), NetworkLayer))).pipe(
    Command.withDescription(appDescription),
    goesOnline,
    Command.withSubcommands([
      online(appVerbs.list),
      online(appVerbs.info),
      online(appVerbs.remove),
      online(appVerbs.link),
      online(appVerbs.unlink),
      online(appVerbs.reserve),
      online(appVerbs.fork),
      online(appVerbs.lineage),
      deployOnline
    ])
  )

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
    deployOnline,
    online(info),
    app,
    migrate
  ]),
  Command.provide(RemoteLayer)
)
