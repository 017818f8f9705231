import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { InvalidInput } from "../../domain/errors.js"
import { NodeKeys } from "../../services/node/NodeKeys.js"
import { NodeSites } from "../../services/node/NodeSites.js"
import { VERSION } from "../../version.js"

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i

export const parseSize = (input: string): number | undefined => {
  const m = SIZE.exec(input.trim())
  if (!m) return undefined
  const unit = (m[2] ?? "b").toLowerCase()
  const factor = unit.startsWith("g") ? 1024 ** 3 : unit.startsWith("m") ? 1024 ** 2 : unit.startsWith("k") ? 1024 : 1
  return Math.floor(Number(m[1]) * factor)
}

/** What to do next, printed once the node listens: every client needs a key. */
const nextSteps = (url: string, keys: number): string => {
  // A wildcard address is reached on loopback from this machine.
  const reach = url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, "//127.0.0.1")
  const add = `fazt remote add local ${reach} --token-stdin`
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
    port: Options.integer("port").pipe(Options.withDescription("TCP port (0: any free port)"), Options.withDefault(8080)),
    host: Options.text("host").pipe(Options.withDescription("Address to listen on"), Options.withDefault("127.0.0.1")),
    maxUpload: Options.text("max-upload").pipe(
      Options.withDescription("Largest deploy upload accepted, e.g. 100MB"),
      Options.withDefault("100MB")
    ),
    deploysPerMinute: Options.integer("deploys-per-minute").pipe(
      Options.withDescription("Deploys each client may make per minute (0: no limit)"),
      Options.withDefault(5)
    ),
    maxUnpacked: Options.text("max-unpacked").pipe(
      Options.withDescription("Largest total a deploy's archive may unpack to, e.g. 512MB"),
      Options.withDefault("512MB")
    ),
    maxFileSize: Options.text("max-file-size").pipe(
      Options.withDescription("Largest single file a deploy's archive may unpack to, e.g. 256MB"),
      Options.withDefault("256MB")
    ),
    maxFiles: Options.integer("max-files").pipe(
      Options.withDescription("Most files one deploy may hold"),
      Options.withDefault(100_000)
    )
  },
  (o) =>
    Effect.gen(function* () {
      const size = (flag: string, value: string) => {
        const bytes = parseSize(value)
        return bytes === undefined || bytes <= 0
          ? Effect.fail(new InvalidInput({ message: `--${flag} ${value}: expected a size such as 100MB` }))
          : Effect.succeed(bytes)
      }
      const maxUploadBytes = yield* size("max-upload", o.maxUpload)
      const maxUnpackedBytes = yield* size("max-unpacked", o.maxUnpacked)
      const maxFileBytes = yield* size("max-file-size", o.maxFileSize)
      if (o.maxFiles <= 0) return yield* new InvalidInput({ message: `--max-files ${o.maxFiles}: expected a positive number` })
      if (o.port < 0 || o.port > 65535) return yield* new InvalidInput({ message: `--port ${o.port}: expected 0–65535` })
      const sites = yield* NodeSites
      const dropped = yield* sites.removeUnfinished
      if (dropped > 0) yield* Console.error(`Removed ${dropped} unfinished deploy(s) left by an earlier crash`)
      const keys = yield* NodeKeys
      const keyCount = yield* keys.count
      const NodeServer = yield* Effect.promise(() => import("../../services/node/NodeServer.js"))
      return yield* NodeServer.run(
        { version: VERSION, maxUploadBytes, deploysPerMinute: o.deploysPerMinute, maxUnpackedBytes, maxFileBytes, maxFiles: o.maxFiles },
        { port: o.port, host: o.host },
        (url) => Console.error(nextSteps(url, keyCount))
      )
    })
).pipe(
  Command.withDescription(
    "Run this machine's fazt node: the admin API and every deployed site at http://<site>.localhost:<port>/.\n\nExample: fazt server start --port 8080"
  )
)
