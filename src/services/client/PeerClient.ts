import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Match from "effect/Match"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import {
  type ArchiveError,
  type DatabaseError,
  type InvalidPeerName,
  type InvalidPeerUrl,
  PeerApiError,
  type PeerCallError,
  PeerProtocolError,
  PeerUnauthorized,
  type PlainHttpRefused,
  type UnusableToken
} from "../../domain/errors.js"
import type { Peer, PeerStatus } from "../../domain/Peer.js"
import { maskSecretIn } from "../../domain/redact.js"
import {
  AppList,
  type AppView,
  DeployResult,
  Envelope,
  GatewayAnswer,
  Health,
  UpgradeResult,
  viewApp
} from "../../domain/wire.js"
import {
  type DeployedFolder,
  type DeployFolderOptions,
  type DeployFolderToOptions,
  deployFolderToWith,
  deployFolderWith,
  type FolderDeployedTo
} from "./deployFolder.js"
import { type ContactResult, PeerStore } from "./PeerStore.js"
import { SiteArchive } from "./SiteArchive.js"
import {
  type PeerRequest,
  type PeerResponse,
  PeerTransport,
  type RequestBody,
  type RequestBytes,
  type TransportError
} from "./PeerTransport.js"

/**
 * What any call to a peer can fail with: the peer's own failures
 * (`PeerCallError`), or its stored URL or token stopping the call before it
 * leaves. Recording the outcome never fails a call (a failed write is a
 * warning), so no database error is here.
 */
export type PeerRequestError = PeerCallError | InvalidPeerUrl | PlainHttpRefused | UnusableToken

/** What a deploy can fail with: a request's failures, or the archive's (a folder or file it could not read). */
export type PeerDeployError = PeerRequestError | ArchiveError

/** Every error of every PeerClient method (each method's own type is narrower: see PeerClient.Service). */
export type PeerClientError =
  | PeerRequestError
  | ArchiveError
  | DatabaseError

export interface UpgradeOptions {
  readonly check: boolean
  readonly force: boolean
}

export interface DeployUpload {
  readonly site: string
  readonly spa: boolean
  /** The zip, as a stream built afresh for each attempt (a retry re-sends it whole). */
  readonly archive: () => Stream.Stream<Uint8Array, ArchiveError>
}

/**
 * fazt's deploy form, streamed: the text fields, then the archive as it is
 * produced, then the closing boundary. Nothing holds the whole zip.
 */
export const deployForm = (upload: DeployUpload, onArchiveError: (e: ArchiveError) => Effect.Effect<void>): RequestBody => {
  const boundary = `----fazt-remote-${randomBytes(12).toString("hex")}`
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  const head = field("site_name", upload.site) + (upload.spa ? field("spa", "true") : "") +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${upload.site}.zip"\r\n` +
    `Content-Type: application/zip\r\n\r\n`
  const tail = `\r\n--${boundary}--\r\n`
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    stream: Stream.make(Buffer.from(head)).pipe(
      Stream.concat(Stream.tapError(upload.archive(), onArchiveError)),
      Stream.concat(Stream.make(Buffer.from(tail)))
    )
  }
}

/**
 * The fazt admin API of one peer. Each call decodes the wire envelope; the
 * health it reveals is recorded in the peer's `last_*` columns (see
 * docs/BOOKKEEPING.md for what is recorded when).
 */
export declare namespace PeerClient {
  export interface Service {
    readonly status: (peer: Peer) => Effect.Effect<Health, PeerRequestError>
    /**
     * `status` of each of `peers`, at most `options.concurrency` at once
     * (default 128), each result in the order of `peers`, and each handed to
     * `options.onAnswer` as it comes. A peer that fails does not stop the
     * others. What the answers revealed is recorded in one transaction at the
     * end, interrupted or not.
     */
    readonly statusAll: (
      peers: ReadonlyArray<Peer>,
      options?: {
        readonly concurrency?: number
        readonly onAnswer?: (index: number, result: Either.Either<Health, PeerRequestError>) => void
      }
    ) => Effect.Effect<ReadonlyArray<Either.Either<Health, PeerRequestError>>>
    /** Through the command gateway (`app list`); `GET /api/apps` on nodes without one. */
    readonly apps: (peer: Peer) => Effect.Effect<ReadonlyArray<AppView>, PeerRequestError>
    readonly upgrade: (peer: Peer, options: UpgradeOptions) => Effect.Effect<UpgradeResult, PeerRequestError>
    /** Through the command gateway (`app remove`); `DELETE /api/apps/<id>` on nodes without one. */
    readonly removeApp: (peer: Peer, app: string) => Effect.Effect<unknown, PeerRequestError>
    /**
     * Runs a command of fazt's gateway (`POST /api/cmd`), as fazt's own CLI
     * sends it (`cmd/server/app_v2.go` `executeRemoteCmd`), and returns its
     * `data`. Retried only when the node never saw it, unless `idempotent`
     * (`app list`, `app info`, `server info`): then as any transient failure.
     */
    readonly command: (
      peer: Peer,
      command: string,
      args: ReadonlyArray<string>,
      options?: { readonly idempotent?: boolean }
    ) => Effect.Effect<unknown, PeerRequestError>
    readonly deploy: (peer: Peer, upload: DeployUpload) => Effect.Effect<DeployResult, PeerDeployError>
    /**
     * Scan, zip and upload a folder as fazt's own client does (site name:
     * `options.name` or the folder's name; hidden files, `node_modules` and
     * `.gitignore`d files left out), reporting progress to `onProgress`.
     * The scanner and zip writer come from the caller's context
     * (`FaztRemote.layer` has them; alone: `FaztRemote.siteArchive`), so a
     * client that never ships a folder never loads them.
     */
    readonly deployFolder: (
      peer: Peer,
      dir: string,
      options?: DeployFolderOptions
    ) => Effect.Effect<DeployedFolder, PeerDeployError | InvalidPeerName, SiteArchive>
    /**
     * One folder to many peers (`fazt remote deploy <dir> --to a,b,c`):
     * scanned and zipped once, uploaded to each at once (at most
     * `options.concurrency`, default 128). Each peer's result or typed error
     * comes back in the order of `peers`; a peer that fails does not stop the
     * others. Fails as a whole only when the folder cannot be shipped
     * (missing, empty, a file unreadable) or the temporary zip cannot be
     * written, before anything is sent.
     */
    readonly deployFolderTo: (
      peers: ReadonlyArray<Peer>,
      dir: string,
      options?: DeployFolderToOptions
    ) => Effect.Effect<FolderDeployedTo<PeerDeployError>, ArchiveError | DatabaseError, SiteArchive>
  }
}

// A peer's words are kept as they are (--json stays faithful; human output
// escapes control characters when it prints), only cut to a sane length.
const clean = (text: string, max = 300): string => {
  const trimmed = text.trim()
  return trimmed.length > max ? `${trimmed.slice(0, max)}…` : trimmed
}

const describeBody = (response: PeerResponse): string => {
  const type = (response.headers["content-type"] ?? "").split(";")[0]!.trim()
  if (response.body.length === 0) return "an empty body"
  if (type === "text/html" || /^\s*</.test(Buffer.from(response.body.subarray(0, 64)).toString("utf8"))) {
    return "an HTML page, not the fazt API (a proxy in front of it?)"
  }
  return type === "" ? "a body that is not JSON" : `a ${type} body that is not the fazt API`
}

/** A `text/plain` body, as Go's `http.Error` sends. */
const isPlainText = (response: PeerResponse): boolean =>
  (response.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() === "text/plain"

/**
 * The `/api` paths where fazt's admin host (`admin.<domain>`) accepts an API
 * key; every other `/api` path goes through its cookie-only admin middleware.
 * From fazt v0.29's host routing in cmd/server/main.go.
 */
const API_KEY_PATHS = [
  /^\/api\/deploy$/,
  /^\/api\/users(\/|$)/,
  /^\/api\/aliases(\/|$)/,
  /^\/api\/apps\/[^/]+\/status$/,
  /^\/api\/system\/health$/,
  /^\/api\/system\/logs(\/|$)/,
  /^\/api\/sql$/,
  /^\/api\/upgrade$/,
  /^\/api\/cmd$/
]
export const acceptsApiKey = (path: string): boolean => API_KEY_PATHS.some((rule) => rule.test(path))

const decodeEnvelope = Schema.decodeUnknownOption(Envelope)

/** Turns an answer into the `data` of its envelope, or the matching typed error. */
export const decodeAnswer = <A, I>(
  schema: Schema.Schema<A, I>,
  peer: Peer,
  request: Pick<PeerRequest, "method" | "path">,
  response: PeerResponse
): Either.Either<A, PeerUnauthorized | PeerApiError | PeerProtocolError> => {
  const status = response.status
  let json: unknown
  let parsed = true
  try {
    json = JSON.parse(Buffer.from(response.body).toString("utf8"))
  } catch {
    parsed = false
  }
  const envelope = parsed ? decodeEnvelope(json) : undefined
  const error = envelope && envelope._tag === "Some" ? envelope.value.error : undefined
  // The admin middleware's shape: `{"error": "text"}`, no code.
  const bare = typeof error === "string"
  const redirected = response.leftOrigin ? ` (after a redirect to ${new URL(response.url).origin}, which is never sent the token)` : ""
  if (status === 401 || status === 403) {
    const words = bare ? error : error?.message
    const session = bare && status === 401 && !acceptsApiKey(request.path)
    return Either.left(
      new PeerUnauthorized({
        peer: peer.name,
        status,
        code: bare || !error ? `HTTP_${status}` : clean(error.code, 64),
        reason: clean(words ?? (peer.token === null ? "no token is stored for this peer" : "the key was not accepted")) + redirected,
        scope: session ? "session" : "key",
        request: `${request.method} ${request.path}`
      })
    )
  }
  if (status >= 300 && status < 400) {
    return Either.left(new PeerProtocolError({ peer: peer.name, status, reason: `a redirect to ${response.headers["location"] ?? "nowhere"}` }))
  }
  // Plain text is a node's own words too: Go's http.Error, as fazt's global
  // rate limiter answers (internal/middleware/ratelimit.go: 429 "Too Many
  // Requests") and its connection limiter (503 "Too Many Connections").
  if (status >= 400 && !parsed && isPlainText(response)) {
    const text = clean(Buffer.from(response.body).toString("utf8"))
    return Either.left(new PeerApiError({ peer: peer.name, status, code: `HTTP_${status}`, reason: text === "" ? `HTTP ${status}` : text }))
  }
  if (status >= 400 || (error !== undefined && error !== null)) {
    if (bare) return Either.left(new PeerApiError({ peer: peer.name, status, code: `HTTP_${status}`, reason: clean(error) }))
    if (error) {
      return Either.left(new PeerApiError({ peer: peer.name, status, code: clean(error.code, 64), reason: clean(error.message ?? "") }))
    }
    return Either.left(new PeerProtocolError({ peer: peer.name, status, reason: describeBody(response) }))
  }
  if (!parsed) return Either.left(new PeerProtocolError({ peer: peer.name, status, reason: describeBody(response) }))
  if (!envelope || envelope._tag === "None" || !("data" in (json as object))) {
    return Either.left(new PeerProtocolError({ peer: peer.name, status, reason: "JSON without the {\"data\": …} envelope" }))
  }
  const decoded = Schema.decodeUnknownEither(schema)(envelope.value.data)
  if (decoded._tag === "Left") {
    return Either.left(new PeerProtocolError({ peer: peer.name, status, reason: "data of the wrong shape for this call" }))
  }
  return Either.right(decoded.right)
}

const notContacted = () => undefined

/** fazt's connection limiter (`internal/middleware/ratelimit.go`): 503 "Too Many Connections" in plain text. */
const isBusy = (e: PeerApiError): boolean => e.status === 503 && e.code === "HTTP_503" && /^too many connections$/i.test(e.reason)
/**
 * What a failed call tells about the peer, the one mapping from errors to
 * peer status: its health (`unreachable`, `unauthorized`, `error`), or `{}`
 * when it answered as designed (a refused upgrade, a 429, a deploy too large,
 * a failed gateway command: seen, health unchanged), or undefined when it was
 * never reached (its URL or token stopped us first, the archive failed).
 */
export const contactAfter: (error: PeerClientError) => ContactResult | undefined = Match.type<PeerClientError>().pipe(
  Match.tagsExhaustive({
    PeerUnreachable: (): ContactResult => ({ status: "unreachable" }),
    // A path that wants a browser session turns away any key: the key may be fine.
    PeerUnauthorized: (e): ContactResult => e.scope === "key" ? { status: "unauthorized" } : {},
    // fazt's limiters turn a healthy node's visitors away: busy, not broken.
    PeerApiError: (e): ContactResult => e.status >= 500 && !isBusy(e) ? { status: "error" } : {},
    PeerProtocolError: (): ContactResult => ({ status: "error" }),
    InvalidPeerUrl: notContacted,
    PlainHttpRefused: notContacted,
    UnusableToken: notContacted,
    InvalidFolder: notContacted,
    UnzippableFile: notContacted,
    DatabaseError: notContacted
  })
)

/**
 * After a failed upgrade: a node that answers in its own JSON words, even a
 * 5xx (fazt's `GITHUB_ERROR` 502 when the release cannot be fetched,
 * `DOWNLOAD_ERROR` 500, `internal/handlers/upgrade_handler.go`), is a
 * command that failed on a node that works: health unchanged.
 */
export const upgradeContact = (error: PeerClientError): ContactResult | undefined =>
  error._tag === "PeerApiError" ? {} : contactAfter(error)

/** The status a failed call shows for the peer (a row of `status --all`): its health, else `error`. */
export const statusAfter = (error: PeerClientError): PeerStatus => contactAfter(error)?.status ?? "error"

const jsonBody = (value: unknown): RequestBytes => ({ contentType: "application/json", bytes: Buffer.from(JSON.stringify(value)) })

/** The gateway is absent (fazt before v0.10): the route is not there. */
const noGateway = (error: PeerRequestError): boolean =>
  (error._tag === "PeerApiError" || error._tag === "PeerProtocolError") && (error.status === 404 || error.status === 405)

/** How long outcomes go unrecorded after a write of one failed. */
const RECORDING_PAUSE_MILLIS = 60_000

/** Where the outcome of each contact goes: the peer's `last_*` columns, or nowhere. */
type RecordContacts = Pick<PeerStore.Service, "updateStatus" | "updateStatuses">

/** What a health answer tells about the peer: a node that answers but calls itself something other than healthy is not. */
const healthContact = (h: Health): ContactResult => ({ status: h.status === "healthy" ? "healthy" : "error", version: h.version ?? undefined })

const HEALTH_REQUEST: PeerRequest = { method: "GET", path: "/api/system/health", retry: "transient" }

const makeWith = (record: RecordContacts): Effect.Effect<PeerClient.Service, never, PeerTransport> => Effect.gen(function* () {
  const transport = yield* PeerTransport

  /** What one call got back, decoded; a peer that echoes our token back never gets it printed. */
  const readSent = <A, I>(peer: Peer, request: PeerRequest, schema: Schema.Schema<A, I>) =>
  (sent: Either.Either<PeerResponse, TransportError>): Either.Either<A, PeerRequestError> =>
    Either.mapBoth(Either.flatMap(sent, (response) => decodeAnswer(schema, peer, request, response)), {
      onLeft: (e) => maskSecretIn(e, peer.token),
      onRight: (a) => maskSecretIn(a, peer.token)
    })

  const exchange = <A, I>(peer: Peer, request: PeerRequest, schema: Schema.Schema<A, I>): Effect.Effect<A, PeerRequestError> =>
    Effect.flatMap(Effect.either(transport.send(peer, request)), readSent(peer, request, schema))

  // The result beats the bookkeeping: a call that worked is reported as such
  // even when its outcome cannot be written down (locked, read-only, full).
  // After a failed write, the outcomes of the next minute are not written at
  // all: a locked database costs one busy timeout (5 s, which also holds up
  // the event loop), not one per peer of a fleet, and one warning.
  let recordingPausedUntil = 0
  const recording = (write: Effect.Effect<void, DatabaseError>, what: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      now < recordingPausedUntil
        ? Effect.void
        : write.pipe(
          Effect.catchAll((e) =>
            Effect.flatMap(Clock.currentTimeMillis, (failedAt) => {
              recordingPausedUntil = failedAt + RECORDING_PAUSE_MILLIS
              return Effect.logWarning(
                `could not record the state of ${what}: ${e.message} (the state of other peers is not recorded for a minute)`
              )
            })
          )
        ))
  const note = (peer: Peer, result: ContactResult) => recording(record.updateStatus(peer.name, result), `'${peer.name}'`)

  /** Records what the call revealed about the peer's health, then hands back its outcome. */
  const recorded = <A, E extends PeerClientError>(
    peer: Peer,
    call: Effect.Effect<A, E>,
    observed: (a: A) => ContactResult = () => ({ status: "healthy" }),
    afterError: (error: E) => ContactResult | undefined = contactAfter
  ): Effect.Effect<A, E> =>
    call.pipe(
      Effect.tap((a) => note(peer, observed(a))),
      Effect.tapError((error) => {
        const contact = afterError(error)
        return contact === undefined ? Effect.void : note(peer, contact)
      })
    )

  const gateway = (peer: Peer, command: string, args: ReadonlyArray<string>, retry: PeerRequest["retry"]) =>
    exchange(peer, { method: "POST", path: "/api/cmd", body: jsonBody({ command, args }), retry }, GatewayAnswer).pipe(
      Effect.flatMap((answer) =>
        answer.success
          ? Effect.succeed(answer.data ?? null)
          : Effect.fail(
            new PeerApiError({
              peer: peer.name,
              status: 200,
              code: "COMMAND_FAILED",
              reason: clean(answer.error || `'${[command, ...args].join(" ")}' failed`)
            })
          )
      )
    )

  const decodeApps = (peer: Peer) => (data: unknown) =>
    Schema.decodeUnknown(AppList)(data).pipe(
      Effect.map((apps) => (apps ?? []).map(viewApp)),
      Effect.mapError(() => new PeerProtocolError({ peer: peer.name, status: 200, reason: "an app list of the wrong shape" }))
    )

  const deploy = (peer: Peer, upload: DeployUpload): Effect.Effect<DeployResult, PeerDeployError> =>
    Effect.gen(function* () {
      // The archive's own failure (a file vanished) is the real cause when the
      // upload breaks: the HTTP client only sees a body that stopped.
      const archiveFailed = yield* Deferred.make<never, ArchiveError>()
      const body = () => deployForm(upload, (e) => Deferred.fail(archiveFailed, e))
      return yield* recorded(
        peer,
        exchange(peer, { method: "POST", path: "/api/deploy", body, retry: "transient" }, DeployResult).pipe(
          Effect.catchAll((error) =>
            Effect.flatMap(
              Deferred.poll(archiveFailed),
              Option.match({ onNone: (): Effect.Effect<never, PeerDeployError> => Effect.fail(error), onSome: (archive) => archive })
            )
          )
        )
      )
    })

  return {
    status: (peer) => recorded(peer, exchange(peer, HEALTH_REQUEST, Health), healthContact),
    statusAll: (peers, options) =>
      Effect.suspend(() => {
        const results = new Array<Either.Either<Health, PeerRequestError>>(peers.length)
        const contacts: Array<readonly [string, ContactResult]> = []
        const onResult = (index: number, sent: Either.Either<PeerResponse, TransportError>) => {
          const peer = peers[index]!
          const result = readSent(peer, HEALTH_REQUEST, Health)(sent)
          const contact = Either.isRight(result) ? healthContact(result.right) : contactAfter(result.left)
          if (contact !== undefined) contacts.push([peer.name, contact])
          results[index] = result
          options?.onAnswer?.(index, result)
        }
        const concurrency = options?.concurrency ?? 128
        const asked = transport.sendEach !== undefined
          ? transport.sendEach(peers, HEALTH_REQUEST, { concurrency }, onResult)
          : Effect.forEach(peers, (peer, index) => Effect.map(Effect.either(transport.send(peer, HEALTH_REQUEST)), (sent) => onResult(index, sent)), {
            concurrency,
            discard: true
          })
        // What came in is recorded in one transaction, even after Ctrl-C.
        const noteAll = Effect.suspend(() =>
          contacts.length === 0 ? Effect.void : recording(record.updateStatuses(contacts), contacts.length === 1 ? `'${contacts[0]![0]}'` : `${contacts.length} peers`))
        return asked.pipe(Effect.ensuring(noteAll), Effect.as(results))
      }),
    apps: (peer) =>
      recorded(
        peer,
        gateway(peer, "app", ["list"], "transient").pipe(
          Effect.catchIf(noGateway, () => exchange(peer, { method: "GET", path: "/api/apps", query: { all: "true" }, retry: "transient" }, Schema.Unknown)),
          Effect.flatMap(decodeApps(peer))
        )
      ),
    upgrade: (peer, options) =>
      recorded(
        peer,
        exchange(
          peer,
          {
            method: "POST",
            path: "/api/upgrade",
            query: { ...(options.check ? { check: "true" } : {}), ...(options.force ? { force: "true" } : {}) },
            retry: "refused-only"
          },
          UpgradeResult
        ),
        (u) => ({ status: "healthy", version: u.current_version }),
        upgradeContact
      ),
    // Removing twice is not the same as once: retried only when the node never saw it.
    removeApp: (peer, app) =>
      recorded(
        peer,
        gateway(peer, "app", ["remove", app], "refused-only").pipe(
          Effect.catchIf(
            noGateway,
            () => exchange(peer, { method: "DELETE", path: `/api/apps/${encodeURIComponent(app)}`, retry: "refused-only" }, Schema.Unknown)
          )
        )
      ),
    command: (peer, command, args, options) =>
      recorded(peer, gateway(peer, command, args, options?.idempotent === true ? "transient" : "refused-only")),
    deploy,
    deployFolder: (peer, dir, options) =>
      Effect.flatMap(SiteArchive, (archive) =>
        deployFolderWith(archive, deploy, { reuseBuffers: transport.writesChunkByChunk === true })(peer, dir, options)),
    // The zip is written to a file and read back for each upload (reusing buffers where the transport allows).
    deployFolderTo: (peers, dir, options) =>
      Effect.flatMap(SiteArchive, (archive) =>
        deployFolderToWith(archive, deploy, { reuseBuffers: transport.writesChunkByChunk === true })(peers, dir, options))
  }
})

export const make: Effect.Effect<PeerClient.Service, never, PeerTransport | PeerStore> = Effect.flatMap(
  PeerStore,
  (store) => makeWith(store)
)

export class PeerClient extends Context.Tag("fazt/PeerClient")<PeerClient, PeerClient.Service>() {
  /** Records each contact in the peer's `last_*` columns. */
  static readonly layer: Layer.Layer<PeerClient, never, PeerTransport | PeerStore> = Layer.effect(PeerClient, make)

  /**
   * Writes nothing to any database: for hosts that keep their own peers (or
   * their own health records). Needs only a transport.
   */
  static readonly layerWithoutRecording: Layer.Layer<PeerClient, never, PeerTransport> = Layer.effect(
    PeerClient,
    makeWith({ updateStatus: () => Effect.void, updateStatuses: () => Effect.void })
  )
}
