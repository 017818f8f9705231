import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { lazyLayer } from "../../lazy.js"
import * as NodeLock from "../../services/node/NodeLock.js"
import { NodeKeys } from "../../services/node/NodeKeys.js"
import { NodeSites } from "../../services/node/NodeSites.js"
import { VERSION } from "../../version.js"
import { integerIn, positiveSize, valueFlag } from "../flags.js"
import { peerNames } from "../completion.js"
import { GlobalFlags } from "../globals.js"
import { inform, jsonLine } from "../output.js"
import { writeThroughStreams } from "../stdio.js"

const sizeFlag = (name: string, description: string, fallback: string) =>
  valueFlag(name, { description, fallback, read: positiveSize, expected: "a size such as 100MB" })

/** What to do next, printed once the node listens: every client needs a key. */
const nextSteps = (url: string, keys: number, taken: ReadonlyArray<string>): string => {
  // A wildcard address is reached on loopback from this machine.
  const reach = url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, "//127.0.0.1")
  // A name this machine's peers do not use yet (a second node: `local-2`).
  let name = "local"
  for (let n = 2; taken.includes(name); n++) name = `local-${n}`
  const add = `fazt remote add ${name} ${reach} --token-stdin`
  return keys === 0
    ? [
      "This node has no API keys yet, so no client can use it. In another terminal, in this folder:",
      `  fazt server create-key --name laptop | ${add}`
    ].join("\n")
    : `Add it from another machine or terminal with: printf %s "$KEY" | ${add}`
}

export const start = Command.make(
  "start",
  {
    port: valueFlag("port", { description: "TCP port (0: any free port)", fallback: "8080", read: integerIn(0, 65535), expected: "0–65535" }),
    host: Options.text("host").pipe(Options.withDescription("Address to listen on"), Options.withDefault("127.0.0.1")),
    maxUpload: sizeFlag("max-upload", "Largest deploy upload accepted, e.g. 100MB", "100MB"),
    deploysPerMinute: valueFlag("deploys-per-minute", {
      description: "Deploys each client may make per minute (0: no limit)",
      fallback: "5",
      read: integerIn(0, Number.MAX_SAFE_INTEGER),
      expected: "0 (no limit) or more"
    }),
    maxUnpacked: sizeFlag("max-unpacked", "Largest total a deploy's archive may unpack to, e.g. 512MB", "512MB"),
    maxFileSize: sizeFlag("max-file-size", "Largest single file a deploy's archive may unpack to, e.g. 256MB", "256MB"),
    maxFiles: valueFlag("max-files", {
      description: "Most files one deploy may hold",
      fallback: "100000",
      read: integerIn(1, Number.MAX_SAFE_INTEGER),
      expected: "a positive number"
    })
  },
  (o) =>
    Effect.gen(function* () {
      // A node runs for long: a log reader that stalls must not stop it at its next line.
      yield* Effect.sync(writeThroughStreams)
      // One node per database, before anything is cleaned up or served.
      const flags = yield* GlobalFlags
      const lock = yield* NodeLock.acquire
      const sites = yield* NodeSites
      const dropped = yield* sites.removeUnfinished
      if (dropped > 0) yield* inform(`Removed ${dropped} unfinished deploy(s) left by an earlier crash`)
      const keys = yield* NodeKeys
      const keyCount = yield* keys.count
      // The peers of this machine's client database (read, never created), for the hint's name.
      const taken = flags.json ? [] : yield* peerNames(undefined)
      // Only `server start` loads the HTTP server, through the composition root's one lazy loader.
      const node = lazyLayer(() => import("../../services/node/NodeServer.js"), (NodeServer) =>
        NodeServer.serve(
        {
          version: VERSION,
          maxUploadBytes: o.maxUpload,
          deploysPerMinute: o.deploysPerMinute,
          maxUnpackedBytes: o.maxUnpacked,
          maxFileBytes: o.maxFileSize,
          maxFiles: o.maxFiles
        },
        { port: o.port, host: o.host },
        (url, database) =>
          Effect.zipRight(
            lock.announce(url),
            // Under --json: one line of data, the URL and the bound port (`--port 0` can be scripted), and no prose.
            flags.json
              ? Console.log(jsonLine({ data: { url, port: Number(new URL(url).port), host: o.host, database, version: VERSION, api_keys: keyCount } }))
              : Console.error(`fazt node ${VERSION} listening on ${url} (database ${database})\n${nextSteps(url, keyCount, taken)}`)
          )
      ))
      return yield* Layer.launch(node)
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "Run this machine's fazt node: the admin API and every deployed site at http://<site>.localhost:<port>/.\n\nExample: fazt server start --port 8080"
  )
)
