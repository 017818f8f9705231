import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import { PeerClient } from "../../services/client/PeerClient.js"
import { emit, notice, table } from "../output.js"
import { optionalPeerName } from "./args.js"
import { field } from "./app/gateway.js"
import { selectPeer } from "./select.js"

const options = {
  name: optionalPeerName,
  aliases: Options.boolean("aliases").pipe(Options.withDescription("List the sub-domains (aliases) and what each points to instead"))
}

/** The sub-domains of a peer, as fazt's `app list --aliases` asks its gateway. */
const listAliases = (name: Option.Option<string>) =>
  Effect.gen(function* () {
    const client = yield* PeerClient
    const peer = yield* selectPeer(name)
    const data = yield* client.command(peer, "app", ["list", "--aliases"], { idempotent: true })
    const aliases = Array.isArray(data) ? data : []
    if (aliases.length === 0) yield* notice(`No aliases on '${peer.name}'.`)
    yield* emit(aliases, (rows) =>
      rows.length === 0 ? null : table(
        ["SUBDOMAIN", "TYPE", "TARGET"],
        rows.map((a) => [field(a, "subdomain") ?? "-", field(a, "type") ?? "-", field((a as { targets?: unknown }).targets, "app_id") ?? "-"])
      ))
  })

export const listApps = ({ aliases, name }: { readonly name: Option.Option<string>; readonly aliases: boolean }) =>
  aliases ? listAliases(name) : Effect.gen(function* () {
    const client = yield* PeerClient
    const peer = yield* selectPeer(name)
    const list = yield* client.apps(peer)
    if (list.length === 0) {
      yield* notice(`No apps on '${peer.name}' yet. Deploy one with: fazt remote deploy <dir> ${peer.name}`)
    }
    yield* emit(list, (rows) =>
      rows.length === 0 ? null : table(
        ["ID", "TITLE", "VISIBILITY", "ALIASES"],
        rows.map((a) => [a.id ?? "-", a.title || "-", a.visibility ?? "-", a.aliases.length === 0 ? "-" : a.aliases.join(", ")])
      ))
  })

export const apps = Command.make("apps", options, listApps).pipe(
  Command.withDescription("List the apps on a peer, private ones included.\n\nExample: fazt remote apps zyt")
)

/** fazt v0.29's spelling: `fazt @zyt app list [--aliases]`. */
export const appList = Command.make("list", options, listApps).pipe(
  Command.withDescription("List the apps on a peer (fazt's 'app list'; the same as 'fazt remote apps').\n\nExample: fazt @zyt app list --aliases")
)
