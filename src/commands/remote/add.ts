import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { UsageError } from "../../domain/errors.js"
import { viewPeer } from "../../domain/Peer.js"
import { isLoopbackHost } from "../../domain/transportPolicy.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { emit, notice, warn } from "../output.js"
import { readToken, tokenOptions } from "../token.js"
import { noPeerFlag } from "./select.js"

export const add = Command.make(
  "add",
  {
    name: Args.text({ name: "name" }).pipe(Args.withDescription("A short name: lowercase letters, digits, '-'")),
    url: Args.text({ name: "url" }).pipe(Args.withDescription("The peer's admin URL, e.g. https://admin.example.com"), Args.optional),
    // fazt v0.29's spelling: `fazt peer add <name> --url U --token T --desc D`.
    urlFlag: Options.text("url").pipe(Options.withDescription("The peer's admin URL, as fazt's 'peer add' takes it"), Options.optional),
    ...tokenOptions,
    description: Options.text("description").pipe(
      Options.withAlias("desc"),
      Options.withDescription("A note about the peer"),
      Options.optional
    ),
    makeDefault: Options.boolean("default").pipe(Options.withDescription("Make it the default peer"))
  },
  (args) =>
    Effect.gen(function* () {
      if (Option.isSome(args.url) === Option.isSome(args.urlFlag)) {
        return yield* new UsageError({
          message: Option.isSome(args.url)
            ? "the URL is given twice (as an argument and as --url): give it once"
            : "missing argument <url> for 'fazt remote add'; see 'fazt remote add --help'"
        })
      }
      // `add https://x.example foo`: the URL where the name goes, and a name where the URL goes.
      const urlTyped = Option.getOrElse(args.url, () => Option.getOrElse(args.urlFlag, () => ""))
      if (/^https?:\/\//i.test(args.name) && !urlTyped.includes("://") && !urlTyped.includes(".")) {
        return yield* new UsageError({
          message: `the name comes first, then the URL: fazt remote add ${urlTyped === "" ? "<name>" : urlTyped} ${args.name}`
        })
      }
      // `fazt @second add x …`: add names its new peer itself.
      yield* noPeerFlag(`'${args.name}', the peer 'add' creates`)
      const token = yield* readToken(args, args.name)
      const store = yield* PeerStore
      const peer = yield* store.add({
        name: args.name,
        url: Option.getOrElse(args.url, () => Option.getOrThrow(args.urlFlag)),
        token: Option.getOrNull(token),
        description: Option.getOrNull(args.description),
        makeDefault: args.makeDefault
      })
      const url = new URL(peer.url)
      if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && peer.token !== null) {
        yield* warn(
          `${peer.url} is plain http: the token would cross the network unencrypted, so fazt will refuse to send it unless you pass --insecure`
        )
      }
      if (peer.token === null) {
        yield* warn(
          `no token stored for '${peer.name}': a fazt node answers its admin API only with a key; add one with 'fazt remote set-token ${peer.name} --token-stdin'`
        )
      }
      yield* notice(`Added peer '${peer.name}' (${peer.url})${peer.isDefault ? " as the default" : ""}`)
      yield* emit(viewPeer(peer), () => null)
    })
).pipe(
  Command.withDescription(
    "Add a peer.\n\nExample: printf %s \"$KEY\" | fazt remote add zyt https://admin.zyt.app --token-stdin"
  )
)
