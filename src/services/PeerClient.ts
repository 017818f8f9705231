import { Context, Effect, Layer, Schema, Stream } from "effect"
import { randomBytes } from "node:crypto"
import {
  type DatabaseError,
  type InvalidInput,
  type InvalidPeerUrl,
  PeerApiError,
  type PeerCallError,
  PeerProtocolError,
  PeerUnauthorized,
  type PlainHttpRefused
} from "../domain/errors.js"
import type { Peer, PeerStatus } from "../domain/Peer.js"
import {
  AppList,
  type AppView,
  DeployResult,
  Envelope,
  Health,
  UpgradeResult,
  viewApp
} from "../domain/wire.js"
import { PeerStore } from "./PeerStore.js"
import { type PeerRequest, type PeerResponse, PeerTransport, type RequestBody } from "./PeerTransport.js"

export type PeerClientError = PeerCallError | InvalidInput | InvalidPeerUrl | PlainHttpRefused | DatabaseError

export interface UpgradeOptions {
  readonly check: boolean
  readonly force: boolean
}

export interface DeployUpload {
  readonly site: string
  readonly spa: boolean
  /** The zip, as a stream built afresh for each attempt (a retry re-sends it whole). */
  readonly archive: () => Stream.Stream<Uint8Array, InvalidInput>
}

/**
 * fazt's deploy form, streamed: the text fields, then the archive as it is
 * produced, then the closing boundary. Nothing holds the whole zip.
 */
export const deployForm = (upload: DeployUpload, onArchiveError: (e: InvalidInput) => void): RequestBody => {
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
      Stream.concat(Stream.tapError(upload.archive(), (e) => Effect.sync(() => onArchiveError(e)))),
      Stream.concat(Stream.make(Buffer.from(tail)))
    )
  }
}

/**
 * The fazt admin API of one peer: each call decodes the wire envelope and
 * records the outcome in the peer's `last_*` columns.
 */
export declare namespace PeerClient {
  export interface Service {
    readonly status: (peer: Peer) => Effect.Effect<Health, PeerClientError>
    readonly apps: (peer: Peer) => Effect.Effect<ReadonlyArray<AppView>, PeerClientError>
    readonly upgrade: (peer: Peer, options: UpgradeOptions) => Effect.Effect<UpgradeResult, PeerClientError>
    readonly deleteApp: (peer: Peer, name: string) => Effect.Effect<unknown, PeerClientError>
    readonly deploy: (peer: Peer, upload: DeployUpload) => Effect.Effect<DeployResult, PeerClientError>
  }
}

const clean = (text: string, max = 300): string => {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}

const describeBody = (response: PeerResponse): string => {
  const type = (response.headers["content-type"] ?? "").split(";")[0]!.trim()
  if (response.body.length === 0) return "an empty body"
  if (type === "text/html" || /^\s*</.test(Buffer.from(response.body.subarray(0, 64)).toString("utf8"))) {
    return "an HTML page, not the fazt API (a proxy in front of it?)"
  }
  return type === "" ? "a body that is not JSON" : `a ${type} body that is not the fazt API`
}

/** Turns an answer into the `data` of its envelope, or the matching typed error. */
export const decodeAnswer = <A, I>(
  schema: Schema.Schema<A, I>,
  peer: Peer,
  response: PeerResponse
): Effect.Effect<A, PeerUnauthorized | PeerApiError | PeerProtocolError> =>
  Effect.gen(function* () {
    const status = response.status
    let json: unknown
    let parsed = true
    try {
      json = JSON.parse(Buffer.from(response.body).toString("utf8"))
    } catch {
      parsed = false
    }
    const envelope = parsed ? Schema.decodeUnknownOption(Envelope)(json) : undefined
    const error = envelope && envelope._tag === "Some" ? envelope.value.error : undefined
    const redirected = response.leftOrigin ? ` (after a redirect to ${new URL(response.url).origin}, which is never sent the token)` : ""
    if (status === 401 || status === 403) {
      return yield* new PeerUnauthorized({
        peer: peer.name,
        status,
        code: error?.code ?? `HTTP_${status}`,
        reason: clean(error?.message ?? (peer.token === null ? "no token is stored for this peer" : "the key was not accepted")) + redirected
      })
    }
    if (status >= 300 && status < 400) {
      return yield* new PeerProtocolError({
        peer: peer.name,
        status,
        reason: `a redirect to ${response.headers["location"] ?? "nowhere"}`
      })
    }
    if (status >= 400 || (error !== undefined && error !== null)) {
      if (error) {
        return yield* new PeerApiError({ peer: peer.name, status, code: clean(error.code, 64), reason: clean(error.message ?? "") })
      }
      return yield* new PeerProtocolError({ peer: peer.name, status, reason: describeBody(response) })
    }
    if (!parsed) {
      return yield* new PeerProtocolError({ peer: peer.name, status, reason: describeBody(response) })
    }
    if (!envelope || envelope._tag === "None" || !("data" in (json as object))) {
      return yield* new PeerProtocolError({ peer: peer.name, status, reason: "JSON without the {\"data\": …} envelope" })
    }
    const decoded = Schema.decodeUnknownEither(schema)(envelope.value.data)
    if (decoded._tag === "Left") {
      return yield* new PeerProtocolError({ peer: peer.name, status, reason: "data of the wrong shape for this call" })
    }
    return decoded.right
  })

const outcomeOf = (error: PeerClientError): PeerStatus | undefined => {
  switch (error._tag) {
    case "PeerUnreachable":
      return "unreachable"
    case "PeerUnauthorized":
      return "unauthorized"
    case "PeerApiError":
    case "PeerProtocolError":
      return "error"
    default:
      return undefined
  }
}

export const make: Effect.Effect<PeerClient.Service, never, PeerTransport | PeerStore> = Effect.gen(function* () {
  const transport = yield* PeerTransport
  const store = yield* PeerStore

  const call = <A, I>(
    peer: Peer,
    request: PeerRequest,
    schema: Schema.Schema<A, I>,
    versionOf: (a: A) => string | undefined = () => undefined,
    // Lets a caller name the real cause before the outcome is recorded.
    explain: (e: PeerClientError) => PeerClientError = (e) => e
  ): Effect.Effect<A, PeerClientError> =>
    transport.send(peer, request).pipe(
      Effect.flatMap((response) => decodeAnswer(schema, peer, response)),
      Effect.mapError(explain),
      Effect.tap((a) => store.updateStatus(peer.name, { status: "healthy", version: versionOf(a) })),
      Effect.tapError((error) => {
        const status = outcomeOf(error)
        return status === undefined ? Effect.void : store.updateStatus(peer.name, { status }).pipe(Effect.ignore)
      })
    )

  return {
    status: (peer) =>
      call(peer, { method: "GET", path: "/api/system/health", retry: "transient" }, Health, (h) => h.version ?? undefined),
    apps: (peer) =>
      call(peer, { method: "GET", path: "/api/apps", query: { all: "true" }, retry: "transient" }, AppList).pipe(
        Effect.map((apps) => (apps ?? []).map(viewApp))
      ),
    upgrade: (peer, options) =>
      call(
        peer,
        {
          method: "POST",
          path: "/api/upgrade",
          query: { ...(options.check ? { check: "true" } : {}), ...(options.force ? { force: "true" } : {}) },
          retry: "refused-only"
        },
        UpgradeResult,
        (u) => u.current_version
      ),
    deleteApp: (peer, name) =>
      call(peer, { method: "DELETE", path: `/api/apps/${encodeURIComponent(name)}`, retry: "transient" }, Schema.Unknown),
    deploy: (peer, upload) =>
      Effect.suspend(() => {
        // The archive's own failure (a file vanished) is the real cause when the upload breaks.
        let archiveError: InvalidInput | undefined
        const body = () => deployForm(upload, (e) => (archiveError = e))
        return call(peer, { method: "POST", path: "/api/deploy", body, retry: "transient" }, DeployResult, undefined, (e) => archiveError ?? e)
      })
  }
})

export class PeerClient extends Context.Tag("fazt/PeerClient")<PeerClient, PeerClient.Service>() {
  static readonly layer: Layer.Layer<PeerClient, never, PeerTransport | PeerStore> = Layer.effect(PeerClient, make)
}
