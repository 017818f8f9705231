import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as EarlyAnswerHttpClient from "./earlyAnswerHttpClient.js"
import { loopbackLookup } from "./loopbackLookup.js"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import {
  InvalidPeerUrl,
  PeerApiError,
  PeerProtocolError,
  PeerUnreachable,
  PlainHttpRefused,
  type UnreachableKind,
  UnusableToken
} from "../../domain/errors.js"
import { formatWait } from "../../domain/wait.js"
import { type Peer, peerUsability, redactUrl } from "../../domain/Peer.js"
import {
  isLoopbackHost,
  MAX_BACKOFF_MILLIS,
  MAX_RETRIES,
  MAX_RETRY_AFTER_MILLIS
} from "../../domain/transportPolicy.js"
import {
  type PeerRequest,
  type PeerResponse,
  PeerTransport,
  type TransportError,
  type TransportOptions
} from "./PeerTransport.js"

/** One failed attempt, before it becomes a user-facing error. */
class AttemptFailed extends Data.TaggedError("AttemptFailed")<{
  /** `protocol`: the peer answered, but not with HTTP we can use (exit 7, never retried). */
  readonly kind: "refused" | "reset" | "network" | "timeout" | "too-large" | "protocol" | "status"
  /** How the peer was not reached, for `PeerUnreachable.kind` (the retry decision reads `kind`). */
  readonly unreachable?: UnreachableKind
  readonly reason: string
  /** The HTTP status, when one arrived. */
  readonly status?: number
  readonly response?: PeerResponse
  readonly retryAfter?: Duration.Duration
}> {}

const TRANSIENT_STATUS = new Set([429, 502, 503, 504])
const RETRY_AFTER_CEILING = Duration.millis(MAX_RETRY_AFTER_MILLIS)
const BACKOFF_CEILING = Duration.millis(MAX_BACKOFF_MILLIS)

const errorCode = (cause: unknown): string | undefined => {
  let current: unknown = cause
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

type NetworkFailure = { kind: AttemptFailed["kind"]; unreachable: UnreachableKind; reason: string }

const describeNetworkError = (cause: unknown, host: string): NetworkFailure => {
  const code = errorCode(cause) ?? ""
  // Node's HTTP parser refused what the peer sent: it answered, just not with usable HTTP.
  if (code === "HPE_HEADER_OVERFLOW") {
    return { kind: "protocol", unreachable: "other", reason: "headers larger than the 16 KiB Node accepts" }
  }
  if (code === "HPE_INVALID_CONTENT_LENGTH" || code === "HPE_UNEXPECTED_CONTENT_LENGTH") {
    return { kind: "protocol", unreachable: "other", reason: "an invalid Content-Length header" }
  }
  if (code.startsWith("HPE_")) return { kind: "protocol", unreachable: "other", reason: `malformed HTTP (${code})` }
  if (code === "ECONNREFUSED") return { kind: "refused", unreachable: "refused", reason: "connection refused" }
  if (code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED") {
    return { kind: "reset", unreachable: "reset", reason: "the connection was reset" }
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
    // EAI_AGAIN: the resolver could not answer for now, so it is worth another try.
    return { kind: code === "EAI_AGAIN" ? "reset" : "network", unreachable: "dns", reason: `DNS lookup of ${host} failed (${code})` }
  }
  if (/CERT|TLS|SSL|EPROTO|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return { kind: "network", unreachable: "tls", reason: `TLS handshake with ${host} failed (${code})` }
  }
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") {
    return { kind: "network", unreachable: "no-route", reason: `no route to ${host} (${code})` }
  }
  if (code === "ETIMEDOUT") return { kind: "network", unreachable: "timeout", reason: `connecting to ${host} timed out` }
  return { kind: "network", unreachable: "other", reason: code !== "" ? `network error (${code})` : "network error" }
}

const isTooLong = (wait: Duration.Duration | undefined): wait is Duration.Duration =>
  wait !== undefined && Duration.greaterThan(wait, RETRY_AFTER_CEILING)

/** `{"error": {"code", "message"}}` when the body has one: the node's own words beside the wait. */
const errorOfBody = (body: Uint8Array): { code?: string; message?: string } => {
  try {
    const error = (JSON.parse(Buffer.from(body).toString("utf8")) as { error?: unknown }).error
    if (typeof error === "string") return { message: error }
    if (typeof error !== "object" || error === null) return {}
    const { code, message } = error as { code?: unknown; message?: unknown }
    return { ...(typeof code === "string" ? { code } : {}), ...(typeof message === "string" ? { message } : {}) }
  } catch {
    return {}
  }
}

/** `Retry-After` as seconds or an HTTP date. */
const parseRetryAfter = (value: string | undefined): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Duration.millis(Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Duration.millis(Math.max(0, at - Date.now()))
}

const isRetryable = (mode: PeerRequest["retry"]) => (failure: AttemptFailed): boolean => {
  if (mode === "refused-only") return failure.kind === "refused"
  if (failure.kind === "refused" || failure.kind === "reset") return true
  if (failure.kind !== "status") return false
  return !isTooLong(failure.retryAfter)
}

/**
 * Exponential backoff with jitter (or the host's `retrySchedule`) for
 * `retries` more attempts (at most MAX_RETRIES), only while the failure is
 * transient; each default wait is capped at MAX_BACKOFF_MILLIS; a
 * `Retry-After` longer than the delay (and no longer than
 * MAX_RETRY_AFTER_MILLIS) wins.
 */
export const retryPolicy = (
  options: Pick<TransportOptions, "retries" | "backoff" | "retrySchedule">,
  mode: PeerRequest["retry"]
) =>
  (options.retrySchedule ??
    Schedule.jittered(Schedule.exponential(options.backoff, 2)).pipe(
      Schedule.modifyDelay((delay) => Duration.min(delay, BACKOFF_CEILING))
    )).pipe(
    Schedule.intersect(Schedule.recurs(Math.min(Math.max(0, Math.floor(options.retries)), MAX_RETRIES))),
    Schedule.whileInput(isRetryable(mode)),
    // Output the failure itself, so the delay can read its Retry-After.
    Schedule.passthrough,
    Schedule.modifyDelay((failure: AttemptFailed, delay) =>
      failure.retryAfter !== undefined ? Duration.max(delay, failure.retryAfter) : delay
    )
  )

const readCapped = <E>(stream: Stream.Stream<Uint8Array, E>, cap: number): Effect.Effect<Buffer, E | AttemptFailed> =>
  Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    return Stream.runForEach(stream, (chunk) => {
      size += chunk.length
      if (size > cap) {
        return Effect.fail(new AttemptFailed({ kind: "too-large", reason: `an answer larger than ${cap} bytes` }))
      }
      chunks.push(chunk)
      return Effect.void
    }).pipe(Effect.map(() => Buffer.concat(chunks)))
  })

const MAX_REDIRECTS = 5

const DRAIN_POINT = new Uint8Array(0)
/**
 * @effect/platform-node's request sink waits for the socket's "drain" between
 * the elements of a chunk but not after the last one, so a body of one-element
 * chunks would pile up in memory as fast as it is produced. An empty element
 * closing each chunk makes every chunk wait until the socket has taken it.
 */
const withDrainPoints = <E>(body: Stream.Stream<Uint8Array, E>) =>
  Stream.mapChunks(body, (chunk) => Chunk.append(chunk, DRAIN_POINT))

/**
 * The transport on `client`. `own` is our own client's deadline-aware
 * `execute`: with it an attempt's timeout is a `Deadline` (a timer that
 * destroys the request in flight); any other client gets `Effect.timeoutFail`.
 */
const makeOn = (
  options: TransportOptions,
  client: HttpClient.HttpClient,
  own?: EarlyAnswerHttpClient.WithDeadlines["execute"]
): PeerTransport.Service => {
  const cap = options.maxResponseBytes
  const timeoutMillis = Duration.toMillis(Duration.decode(options.timeout))
  const timedOut = () =>
    new AttemptFailed({
      kind: "timeout",
      unreachable: "timeout",
      reason: `no complete answer within ${Duration.format(Duration.decode(options.timeout))}`
    })

  /** `token` is the key to send, or "" for none (a Redacted "" from a host is none too). */
  const exchange = (token: string, request: PeerRequest, start: URL) => {
    const loop = (
      url: URL,
      leftOrigin: boolean,
      hops: number,
      deadline: EarlyAnswerHttpClient.Deadline | undefined
    ): Effect.Effect<PeerResponse, AttemptFailed> =>
      Effect.gen(function* () {
        if (deadline?.expired) return yield* timedOut()
        let outgoing = HttpClientRequest.make(request.method)(url.toString(), {
          acceptJson: true,
          ...(request.query ? { urlParams: request.query } : {})
        })
        // The one place the token is revealed: the Authorization header.
        if (token !== "" && !leftOrigin) outgoing = HttpClientRequest.bearerToken(outgoing, token)
        if (request.body) {
          const body = request.body()
          outgoing = HttpClientRequest.bodyStream(outgoing, withDrainPoints(body.stream as Stream.Stream<Uint8Array>), {
            contentType: body.contentType,
            ...(body.contentLength !== undefined ? { contentLength: body.contentLength } : {})
          })
        }
        yield* Effect.logDebug(`→ ${request.method} ${url.toString()}${token !== "" && !leftOrigin ? " (with token)" : ""}`)
        const response = yield* (deadline === undefined ? client.execute(outgoing) : own!(outgoing, deadline)).pipe(
          Effect.mapError((e) => deadline?.expired ? timedOut() : new AttemptFailed(describeNetworkError(e, url.host)))
        )
        const declared = Number(response.headers["content-length"] ?? "0")
        if (declared > cap) {
          return yield* new AttemptFailed({ kind: "too-large", reason: `an answer of ${declared} bytes (the limit is ${cap})` })
        }
        const location = response.headers["location"]
        const direct = EarlyAnswerHttpClient.readBody(response, cap)
        if (request.method === "GET" && response.status >= 300 && response.status < 400 && location) {
          // Cut short by the deadline, this read ends; the next hop then reports the timeout.
          const drained: Effect.Effect<unknown, unknown> = direct ?? readCapped(response.stream, cap)
          yield* Effect.ignore(drained)
          const status = response.status
          if (hops >= MAX_REDIRECTS) {
            return yield* new AttemptFailed({ kind: "protocol", status, reason: `more than ${MAX_REDIRECTS} redirects` })
          }
          let next: URL
          try {
            next = new URL(location, url)
          } catch {
            return yield* new AttemptFailed({ kind: "protocol", status, reason: `a redirect to '${location}', which is not a URL` })
          }
          if (next.protocol !== "http:" && next.protocol !== "https:") {
            return yield* new AttemptFailed({
              kind: "protocol",
              status,
              reason: `a redirect to a ${next.protocol.replace(/:$/, "")}: URL, which is not http(s)`
            })
          }
          return yield* loop(next, leftOrigin || next.origin !== start.origin, hops + 1, deadline)
        }
        // Once an answer has begun, a broken connection is not retried: the node may have acted.
        const broke = (e: unknown) => {
          if (deadline?.expired) return timedOut()
          const broken = describeNetworkError(e, url.host)
          return new AttemptFailed({
            kind: "network",
            unreachable: broken.unreachable,
            reason: `the connection broke while the answer was arriving (${broken.reason})`
          })
        }
        const body = yield* direct === undefined
          ? readCapped(Stream.mapError(response.stream, broke), cap)
          : Effect.mapError(direct, (e) =>
            e._tag === "BodyTooLarge"
              ? new AttemptFailed({ kind: "too-large", reason: `an answer larger than ${cap} bytes` })
              : broke(e.cause))
        yield* Effect.logDebug(`← ${response.status} ${url.toString()} (${body.length} bytes)`)
        const result: PeerResponse = { status: response.status, headers: response.headers, body, url: url.toString(), leftOrigin }
        if (TRANSIENT_STATUS.has(response.status)) {
          const retryAfter = parseRetryAfter(response.headers["retry-after"])
          return yield* new AttemptFailed({
            kind: "status",
            reason: `HTTP ${response.status}`,
            response: result,
            ...(retryAfter ? { retryAfter } : {})
          })
        }
        return result
      })
    if (own === undefined) {
      return loop(start, false, 0, undefined).pipe(Effect.timeoutFail({ duration: options.timeout, onTimeout: timedOut }))
    }
    // Our own client: one deadline for the whole attempt (every hop and the body read), afresh for each attempt.
    return Effect.suspend(() => {
      const deadline = new EarlyAnswerHttpClient.Deadline(timeoutMillis)
      return Effect.ensuring(loop(start, false, 0, deadline), Effect.sync(() => deadline.clear()))
    })
  }

  // Built once: a schedule is a value, and a fleet asks hundreds of peers.
  const policies = {
    transient: retryPolicy(options, "transient"),
    "refused-only": retryPolicy(options, "refused-only")
  } satisfies Record<PeerRequest["retry"], ReturnType<typeof retryPolicy>>

  // Each wait for a retry is announced (the CLI prints "zyt: HTTP 429, retrying in 2 s (1/3)").
  const announced = (policy: ReturnType<typeof retryPolicy>, peerName: string) => {
    const onRetry = options.onRetry
    if (onRetry === undefined) return policy
    let attempt = 0
    return Schedule.modifyDelayEffect(policy, (failure: AttemptFailed, delay) =>
      Effect.as(
        onRetry({ peer: peerName, reason: failure.reason, delay, attempt: ++attempt, retries: options.retries }),
        delay
      ))
  }

  // NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for every
  // connection of the process; each peer reached so says it, once a run.
  let tlsUnchecked: boolean | undefined
  const warnedUnverified = new Set<string>()
  const warnUnverified = (peerName: string, host: string) =>
    Effect.gen(function* () {
      if (tlsUnchecked === undefined) {
        const setting = yield* Effect.orElseSucceed(Config.option(Config.string("NODE_TLS_REJECT_UNAUTHORIZED")), () => Option.none())
        tlsUnchecked = Option.isSome(setting) && setting.value === "0"
      }
      if (!tlsUnchecked || warnedUnverified.has(peerName)) return
      warnedUnverified.add(peerName)
      yield* Effect.logWarning(
        `peer '${peerName}' (${host}) is reached without checking its TLS certificate (NODE_TLS_REJECT_UNAUTHORIZED=0): whoever is in between can read the token`
      )
    })

  const send = (peer: Peer, request: PeerRequest): Effect.Effect<PeerResponse, TransportError> =>
    Effect.gen(function* () {
      const usability = peerUsability(peer)
      if (usability._tag === "UnusableUrl") return yield* new InvalidPeerUrl({ peer: peer.name, url: redactUrl(peer.url), reason: usability.reason })
      if (usability._tag === "UnusableToken") return yield* new UnusableToken({ peer: peer.name, reason: usability.reason })
      const { token, url: base } = usability
      // The request URL is the peer's origin plus a path: setting `pathname`
      // can never change the host, as joining text and resolving it could.
      const target = new URL(base.origin)
      target.pathname = base.pathname.replace(/\/+$/, "") + request.path
      if (target.origin !== base.origin) {
        return yield* new InvalidPeerUrl({ peer: peer.name, url: redactUrl(peer.url), reason: "a request would leave its host" })
      }
      if (target.protocol === "https:") yield* warnUnverified(peer.name, target.host)
      // Where the token goes is judged on the URL actually requested.
      if (token !== "" && target.protocol === "http:" && !isLoopbackHost(target.hostname) && !options.insecure) {
        return yield* new PlainHttpRefused({ peer: peer.name, host: target.host })
      }
      const attempt = exchange(token, request, target).pipe(
        Effect.tapError((failure) => Effect.logDebug(`attempt failed for '${peer.name}': ${failure.reason}`))
      )
      return yield* attempt.pipe(
        // The retry schedule is started only once an attempt has failed (most calls
        // succeed at once, and starting Effect.retry costs ~0.3 M instructions a call):
        // it is handed that first failure, then runs the further attempts as before.
        Effect.catchAll((first) => {
          let replayed = false
          const again = Effect.suspend(() => (replayed ? attempt : ((replayed = true), Effect.fail(first))))
          return Effect.retry(again, announced(policies[request.retry], peer.name))
        }),
        Effect.catchAll((failure): Effect.Effect<PeerResponse, TransportError> => {
          if (failure.kind === "status" && failure.response && isTooLong(failure.retryAfter)) {
            const said = errorOfBody(failure.response.body)
            const wait = failure.response.headers["retry-after"] ?? ""
            return Effect.fail(
              new PeerApiError({
                peer: peer.name,
                status: failure.response.status,
                code: said.code ?? `HTTP_${failure.response.status}`,
                reason: `${said.message !== undefined ? `${said.message.slice(0, 300)}; ` : ""}it asked to wait ${formatWait(failure.retryAfter)} (Retry-After: ${wait.slice(0, 64)}), longer than the ${formatWait(RETRY_AFTER_CEILING)} fazt waits: try again later`
              })
            )
          }
          if (failure.kind === "status" && failure.response) return Effect.succeed(failure.response)
          if (failure.kind === "too-large") {
            return Effect.fail(new PeerProtocolError({ peer: peer.name, status: 200, reason: failure.reason }))
          }
          if (failure.kind === "protocol") {
            return Effect.fail(new PeerProtocolError({ peer: peer.name, status: failure.status ?? 0, reason: failure.reason }))
          }
          return Effect.fail(
            new PeerUnreachable({ peer: peer.name, url: redactUrl(peer.url), kind: failure.unreachable ?? "other", reason: failure.reason })
          )
        })
      )
    })

  return { options, send }
}

export const make = (options: TransportOptions): Effect.Effect<PeerTransport.Service, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client) => makeOn(options, client))


/**
 * HTTP with Node's client: keep-alive connections shared by all peers; an
 * answer that comes while a body is still being sent (413) wins over the reset
 * that follows it (see earlyAnswerHttpClient.ts).
 */
export const layer = (options: TransportOptions): Layer.Layer<PeerTransport> =>
  Layer.sync(PeerTransport, () => {
    const own = EarlyAnswerHttpClient.makeWithDeadlines({ lookup: loopbackLookup })
    // Our client's body writer hands each chunk to the connection before it pulls the next.
    return { ...makeOn(options, own.client, own.execute), writesChunkByChunk: true }
  })

/** HTTP on a client you provide (tests, custom agents). */
export const layerWith = (options: TransportOptions): Layer.Layer<PeerTransport, never, HttpClient.HttpClient> =>
  Layer.effect(PeerTransport, make(options))
