/**
 * An Effect program that embeds fazt remote: it opens a fazt database, adds a
 * peer, deploys a small site to it, asks every peer for its health at once
 * and handles each failure by its tag. Run by the test suite against the
 * project's own node (test/examples.test.ts).
 */
import { Effect, Option, Redacted } from "effect"
import { Database, FaztRemote, LegacyConfig, PeerClient, PeerStore, SiteArchive } from "fazt-remote"

export interface FleetReport {
  readonly database: string
  readonly legacyImport: string
  readonly deployed: string
  readonly apps: ReadonlyArray<string>
  readonly health: ReadonlyArray<string>
}

export const fleetStatus = (node: { readonly url: string; readonly token: string; readonly site: string }) =>
  Effect.gen(function* () {
    const db = yield* Database
    const legacy = yield* LegacyConfig
    const peers = yield* PeerStore
    const client = yield* PeerClient
    const archive = yield* SiteArchive

    const imported = yield* legacy.importIfPresent
    yield* peers.add({ name: "local", url: node.url, token: Redacted.make(node.token) }).pipe(
      Effect.catchTag("PeerAlreadyExists", () => Effect.void)
    )
    const local = yield* peers.resolve(Option.some("local"))

    const listing = yield* archive.scan(node.site)
    const deployed = yield* client.deploy(local, { site: "example", spa: listing.spa, archive: () => archive.zip(listing) })
    const apps = yield* client.apps(local)

    // Every peer at once; each failure becomes a line instead of stopping the rest.
    const health = yield* Effect.forEach(
      yield* peers.list,
      (peer) =>
        client.status(peer).pipe(
          Effect.map((h) => `${peer.name}: ${h.status} (fazt ${h.version ?? "?"})`),
          Effect.catchTags({
            PeerUnreachable: (e) => Effect.succeed(`${peer.name}: unreachable (${e.reason})`),
            PeerUnauthorized: (e) => Effect.succeed(`${peer.name}: key refused (HTTP ${e.status})`),
            PeerApiError: (e) => Effect.succeed(`${peer.name}: error ${e.code}`),
            PeerProtocolError: (e) => Effect.succeed(`${peer.name}: not speaking fazt (HTTP ${e.status})`),
            PlainHttpRefused: (e) => Effect.succeed(`${peer.name}: skipped (${e.message})`)
          })
        ),
      { concurrency: 8 }
    )
    const report: FleetReport = {
      database: db.path,
      legacyImport: imported._tag,
      deployed: `${deployed.site}: ${deployed.file_count} files`,
      apps: apps.map((a) => a.title),
      health
    }
    return report
  })

/** The program with every service wired on one database file. */
export const main = (filename: string, node: { readonly url: string; readonly token: string; readonly site: string }) =>
  fleetStatus(node).pipe(
    Effect.provide(FaztRemote.layer({ filename, legacyConfigPath: `${filename}.no-legacy-config.json`, transport: { retries: 0, timeout: "5 seconds" } }))
  )
