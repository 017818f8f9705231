import { fork } from "./app/fork.js"
import { info } from "./app/info.js"
import { lineage } from "./app/lineage.js"
import { link } from "./app/link.js"
import { remove } from "./app/remove.js"
import { reserve } from "./app/reserve.js"
import { unlink } from "./app/unlink.js"
import { appList } from "./apps.js"

/**
 * fazt v0.29's `app` commands on a peer (`fazt @zyt app list`), through its
 * command gateway. `deploy` is added where the verbs are composed
 * (remote.ts), as the same command as `fazt remote deploy`.
 */
export const appVerbs = { list: appList, info, remove, link, unlink, reserve, fork, lineage }

export const appDescription =
  "The apps on a peer, in fazt v0.29's words (alone: list them).\n\nExample: fazt @zyt app list"
