/**
 * A host program that deploys a folder to a fazt node, the way a build tool
 * would embed fazt remote. It can run any number of times: the peer is added
 * once and its URL and key refreshed after that.
 *
 *   FAZT_TOKEN=… node deploy-folder.js <node-url> <folder> [database]
 *
 * It prints one JSON line on stdout and progress on stderr. The tests copy it
 * into a fresh project outside the repository (its own node_modules, one copy
 * of effect, this package packed by `npm pack`), type-check it there and run
 * it against the project's own node (test/host.test.ts).
 */
import { Cause, Effect, Redacted } from "effect"
import { type DeployProgress, FaztRemote, PeerClient, PeerStore } from "fazt-remote"

export const deployFolder = (nodeUrl: string, folder: string, token: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const peers = yield* PeerStore
    const client = yield* PeerClient

    // Idempotent: the first run adds the peer, later runs refresh it.
    const peer = yield* peers.add({ name: "local", url: nodeUrl, token }).pipe(
      Effect.catchTag("PeerAlreadyExists", () =>
        peers.setUrl("local", nodeUrl).pipe(Effect.zipRight(peers.updateToken("local", token))))
    )

    const health = yield* client.status(peer)

    // Failures are values with a tag; the peer's name is `e.peer`.
    const lookup = yield* peers.get("staging").pipe(
      Effect.as("found"),
      Effect.catchTag("PeerNotFound", (e) => Effect.succeed(`no peer named '${e.peer}'`))
    )

    const phases: Array<DeployProgress["phase"]> = []
    const deployed = yield* client.deployFolder(peer, folder, {
      onProgress: (progress) => {
        if (phases.at(-1) !== progress.phase) phases.push(progress.phase)
        if (progress.phase !== "uploading") process.stderr.write(`${progress.phase} ${progress.sentBytes} bytes\n`)
      }
    })

    return {
      peer: String(peer), // shows the token as <redacted>
      health: health.status,
      version: health.version ?? null,
      lookup,
      site: deployed.site,
      files: deployed.file_count,
      url: deployed.url,
      phases,
      peers: (yield* peers.list).length
    }
  })

const main = async () => {
  const [nodeUrl, folder, database = "./data.db"] = process.argv.slice(2)
  const token = process.env["FAZT_TOKEN"]
  if (nodeUrl === undefined || folder === undefined || token === undefined) {
    console.error("usage: FAZT_TOKEN=… node deploy-folder.js <node-url> <folder> [database]")
    process.exit(2)
  }
  const program = deployFolder(nodeUrl, folder, Redacted.make(token)).pipe(
    Effect.provide(FaztRemote.layer({ filename: database, transport: { retries: 2, timeout: "20 seconds" } }))
  )
  const exit = await Effect.runPromiseExit(program)
  if (exit._tag === "Success") {
    console.log(JSON.stringify(exit.value))
  } else {
    console.error(Cause.pretty(exit.cause))
    process.exit(1)
  }
}

// Run only as a program, not when the tests import it.
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) await main()
