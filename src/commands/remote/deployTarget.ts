import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { InvalidFolder, UsageError } from "../../domain/errors.js"
import { PeerStore } from "../../services/client/PeerStore.js"
import { GlobalFlags } from "../globals.js"
import { notice } from "../output.js"
import { namedTwice } from "./select.js"

/** What `fazt remote deploy <dir> [peer]` was asked to ship, and where: the folder, and the peer's name if one was typed. */
export interface DeployTarget {
  readonly dir: string
  readonly peer: Option.Option<string>
}

const kindOf = (p: string): "folder" | "file" | "none" => {
  try {
    return fs.statSync(p).isDirectory() ? "folder" : "file"
  } catch {
    return "none"
  }
}

/**
 * The mistakes people make with deploy's two words, answered before anything
 * is scanned (vercel and fly deploy the current folder when none is named):
 * - a file named as the folder: say it is a file, and name its folder;
 * - `deploy local site` (peer first): say the order;
 * - `deploy local` run inside the site folder, `local` a peer and no folder
 *   by that name: deploy the current folder to `local`;
 * - a peer typed and `@peer`/`--peer` too: both named, usage error.
 */
export const resolveDeployTarget = (dir: string, peer: Option.Option<string>): Effect.Effect<DeployTarget, UsageError | InvalidFolder, PeerStore | GlobalFlags> =>
  Effect.gen(function* () {
    const flags = yield* GlobalFlags
    if (Option.isSome(peer) && Option.isSome(flags.peer)) return yield* namedTwice(flags.peer.value, `'${peer.value}'`)
    const kind = kindOf(dir)
    if (kind === "folder") return { dir, peer }
    if (kind === "file") {
      const folder = path.dirname(dir)
      return yield* new InvalidFolder({
        folder: dir,
        problem: "not-a-folder",
        reason: `it is a file; deploy takes the site's folder ('fazt remote deploy ${folder}')`
      })
    }
    const store = yield* PeerStore
    const isPeer = yield* Effect.map(Effect.option(store.get(dir)), Option.isSome)
    if (!isPeer) return { dir, peer }
    if (Option.isSome(peer) && kindOf(peer.value) === "folder") {
      return yield* new UsageError({
        message: `'${dir}' is a peer and '${peer.value}' a folder: the folder comes first ('fazt remote deploy ${peer.value} ${dir}')`
      })
    }
    if (Option.isNone(peer) && Option.isNone(flags.peer)) {
      yield* notice(`no folder named '${dir}' here: deploying the current folder to the peer '${dir}'`)
      return { dir: ".", peer: Option.some(dir) }
    }
    return { dir, peer }
  })
