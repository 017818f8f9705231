/**
 * An Effect program that embeds fazt remote: it opens a fazt database, adds a
 * peer, deploys a small site to it, asks every peer for its health at once
 * and handles each failure by its tag. Run by the test suite against the
 * project's own node (test/examples.test.ts).
 */
import { Effect, Either, Match, Option, Redacted } from "effect"
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

    // Every peer at once, from one fiber; each failure is a value (by its tag), so one never stops the rest.
    const everyone = yield* peers.list
    const answers = yield* client.statusAll(everyone, { concurrency: 8 })
    const health = answers.map((answer, i) => {
      const name = everyone[i]!.name
      return Either.match(answer, {
        onRight: (h) => `${name}: ${h.status} (fazt ${h.version ?? "?"})`,
        onLeft: Match.valueTags({
          PeerUnreachable: (e) => `${name}: unreachable (${e.reason})`,
          PeerUnauthorized: (e) => `${name}: key refused (HTTP ${e.status})`,
          PeerApiError: (e) => `${name}: error ${e.code}`,
          PeerProtocolError: (e) => `${name}: not speaking fazt (HTTP ${e.status})`,
          PlainHttpRefused: (e) => `${name}: skipped (${e.message})`,
          InvalidPeerUrl: (e) => `${name}: its stored URL cannot be used (${e.reason})`,
          UnusableToken: (e) => `${name}: its stored token cannot be sent (${e.reason})`
        })
      })
    })
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
