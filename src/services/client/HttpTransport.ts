import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import {
  InvalidPeerUrl,
  PeerApiError,
  PeerProtocolError,
  PeerUnreachable,
  PlainHttpRefused,
  UnusableToken
} from "../../domain/errors.js"
import { formatWait } from "../../domain/wait.js"
import { type Peer, peerUsability, redactUrl } from "../../domain/Peer.js"
import { isLoopbackHost, MAX_BACKOFF_MILLIS, MAX_RETRIES } from "../../domain/transportPolicy.js"
import {
  AttemptFailed,
  bodyTooLarge,
  brokeWhileAnswering,
  declaredTooLarge,
  describeNetworkError,
  isTooLong,
  redirectTarget,
  RETRY_AFTER_CEILING,
  settle
} from "./attempt.js"
import * as EarlyAnswerHttpClient from "./earlyAnswerHttpClient.js"
import { loopbackLookup } from "./loopbackLookup.js"
import { isFixed, makeNodeExchange, type NodeExchange } from "./nodeExchange.js"
import {
  type PeerRequest,
  type PeerResponse,
  PeerTransport,
  type TransportError,
  type TransportOptions
} from "./PeerTransport.js"

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

const BACKOFF_CEILING = Duration.millis(MAX_BACKOFF_MILLIS)

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
        return Effect.fail(bodyTooLarge(cap))
      }
      chunks.push(chunk)
      return Effect.void
    }).pipe(Effect.map(() => Buffer.concat(chunks)))
  })

const DRAIN_POINT = new Uint8Array(0)
/**
 * @effect/platform-node's request sink waits for the socket's "drain" between
 * the elements of a chunk but not after the last one, so a body of one-element
 * chunks would pile up in memory as fast as it is produced. An empty element
 * closing each chunk makes every chunk wait until the socket has taken it.
 */
const withDrainPoints = <E>(body: Stream.Stream<Uint8Array, E>) =>
  Stream.mapChunks(body, (chunk) => Chunk.append(chunk, DRAIN_POINT))

/** Our own Node client: its deadline-aware `execute`, and its agents for `NodeExchange`. */
type OwnClient = Pick<EarlyAnswerHttpClient.WithDeadlines, "execute" | "agents">

/**
 * The transport on `client`. With `ownClient` (our Node client), a request
 * whose body is known before sending goes through `NodeExchange` (callbacks,
 * see nodeExchange.ts), a streamed one through its deadline-aware `execute`:
 * either way an attempt's timeout is a timer that destroys the request in
 * flight. Any other client runs the Effect loop under `Effect.timeoutFail`.
 */
/** How many requests leave in one turn of the event loop (`sendEach`). */
const BATCH = 32

const makeOn = (
  options: TransportOptions,
  client: HttpClient.HttpClient,
  ownClient?: OwnClient
): PeerTransport.Service => {
  const own = ownClient?.execute
  const cap = options.maxResponseBytes
  const timeoutMillis = Duration.toMillis(Duration.decode(options.timeout))
  const timedOut = () =>
    new AttemptFailed({
      kind: "timeout",
      unreachable: "timeout",
      reason: `no complete answer within ${Duration.format(Duration.decode(options.timeout))}`
    })
  const nodeExchange: NodeExchange | undefined = ownClient === undefined
    ? undefined
    : makeNodeExchange({ agents: ownClient.agents, cap, timeoutMillis, timedOut })

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
        if (typeof request.body === "function") {
          const body = request.body()
          outgoing = HttpClientRequest.bodyStream(outgoing, withDrainPoints(body.stream as Stream.Stream<Uint8Array>), {
            contentType: body.contentType,
            ...(body.contentLength !== undefined ? { contentLength: body.contentLength } : {})
          })
        } else if (request.body !== undefined) {
          outgoing = HttpClientRequest.bodyUint8Array(outgoing, request.body.bytes, request.body.contentType)
        }
        yield* Effect.logDebug(`→ ${request.method} ${url.toString()}${token !== "" && !leftOrigin ? " (with token)" : ""}`)
        const response = yield* (deadline === undefined ? client.execute(outgoing) : own!(outgoing, deadline)).pipe(
          Effect.mapError((e) => deadline?.expired ? timedOut() : new AttemptFailed(describeNetworkError(e, url.host)))
        )
        const declared = Number(response.headers["content-length"] ?? "0")
        if (declared > cap) return yield* declaredTooLarge(declared, cap)
        const location = response.headers["location"]
        const direct = EarlyAnswerHttpClient.readBody(response, cap)
        if (request.method === "GET" && response.status >= 300 && response.status < 400 && location) {
          // Cut short by the deadline, this read ends; the next hop then reports the timeout.
          const drained: Effect.Effect<unknown, unknown> = direct ?? readCapped(response.stream, cap)
          yield* Effect.ignore(drained)
          const next = redirectTarget(location, url, hops, response.status)
          if (next instanceof AttemptFailed) return yield* next
          return yield* loop(next, leftOrigin || next.origin !== start.origin, hops + 1, deadline)
        }
        const broke = (e: unknown) => deadline?.expired ? timedOut() : brokeWhileAnswering(e, url.host)
        const body = yield* direct === undefined
          ? readCapped(Stream.mapError(response.stream, broke), cap)
          : Effect.mapError(direct, (e) => e._tag === "BodyTooLarge" ? bodyTooLarge(cap) : broke(e.cause))
        yield* Effect.logDebug(`← ${response.status} ${url.toString()} (${body.length} bytes)`)
        const result = settle({ status: response.status, headers: response.headers, body, url: url.toString(), leftOrigin })
        return yield* result instanceof AttemptFailed ? Effect.fail(result) : Effect.succeed(result)
      })
    if (nodeExchange !== undefined && isFixed(request)) {
      const call = Effect.async<PeerResponse, AttemptFailed>((resume) =>
        Effect.sync(nodeExchange(token, request, start, (outcome) => resume(outcome instanceof AttemptFailed ? Effect.fail(outcome) : Effect.succeed(outcome))))
      )
      return Effect.logDebug(`→ ${request.method} ${start.toString()}${token !== "" ? " (with token)" : ""}`).pipe(
        Effect.zipRight(call),
        Effect.tap((answer) => Effect.logDebug(`← ${answer.status} ${answer.url} (${answer.body.length} bytes)`))
      )
    }
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
  const tlsIsUnchecked = Effect.suspend(() =>
    tlsUnchecked !== undefined
      ? Effect.succeed(tlsUnchecked)
      : Effect.map(Effect.orElseSucceed(Config.option(Config.string("NODE_TLS_REJECT_UNAUTHORIZED")), () => Option.none()), (setting) =>
        (tlsUnchecked = Option.isSome(setting) && setting.value === "0"))
  )
  const warnedUnverified = new Set<string>()
  const warnUnverified = (peerName: string, host: string) =>
    Effect.gen(function* () {
      if (!(yield* tlsIsUnchecked) || warnedUnverified.has(peerName)) return
      warnedUnverified.add(peerName)
      yield* Effect.logWarning(
        `peer '${peerName}' (${host}) is reached without checking its TLS certificate (NODE_TLS_REJECT_UNAUTHORIZED=0): whoever is in between can read the token`
      )
    })

  /** Where a request to `peer` goes and with which token, or why it may not leave. Nothing is sent. */
  const prepare = (peer: Peer, request: PeerRequest): { readonly token: string; readonly target: URL } | TransportError => {
    const usability = peerUsability(peer)
    if (usability._tag === "UnusableUrl") return new InvalidPeerUrl({ peer: peer.name, url: redactUrl(peer.url), reason: usability.reason })
    if (usability._tag === "UnusableToken") return new UnusableToken({ peer: peer.name, reason: usability.reason })
    const { token, url: base } = usability
    // The request URL is the peer's origin plus a path: setting `pathname`
    // can never change the host, as joining text and resolving it could.
    const target = new URL(base.origin)
    target.pathname = base.pathname.replace(/\/+$/, "") + request.path
    if (target.origin !== base.origin) {
      return new InvalidPeerUrl({ peer: peer.name, url: redactUrl(peer.url), reason: "a request would leave its host" })
    }
    // Where the token goes is judged on the URL actually requested.
    if (token !== "" && target.protocol === "http:" && !isLoopbackHost(target.hostname) && !options.insecure) {
      return new PlainHttpRefused({ peer: peer.name, host: target.host })
    }
    return { token, target }
  }

  /** What the caller is told once no attempt is left: the answer (a transient status the retries ran out on), or the error. */
  const outcomeAfter = (peer: Peer, failure: AttemptFailed): Either.Either<PeerResponse, TransportError> => {
    if (failure.kind === "status" && failure.response && isTooLong(failure.retryAfter)) {
      const said = errorOfBody(failure.response.body)
      const wait = failure.response.headers["retry-after"] ?? ""
      return Either.left(
        new PeerApiError({
          peer: peer.name,
          status: failure.response.status,
          code: said.code ?? `HTTP_${failure.response.status}`,
          reason: `${said.message !== undefined ? `${said.message.slice(0, 300)}; ` : ""}it asked to wait ${formatWait(failure.retryAfter)} (Retry-After: ${wait.slice(0, 64)}), longer than the ${formatWait(RETRY_AFTER_CEILING)} fazt waits: try again later`
        })
      )
    }
    if (failure.kind === "status" && failure.response) return Either.right(failure.response)
    if (failure.kind === "too-large") return Either.left(new PeerProtocolError({ peer: peer.name, status: 200, reason: failure.reason }))
    if (failure.kind === "protocol") {
      return Either.left(new PeerProtocolError({ peer: peer.name, status: failure.status ?? 0, reason: failure.reason }))
    }
    return Either.left(
      new PeerUnreachable({ peer: peer.name, url: redactUrl(peer.url), kind: failure.unreachable ?? "other", reason: failure.reason })
    )
  }

  const attemptAt = (peer: Peer, request: PeerRequest, token: string, target: URL) =>
    exchange(token, request, target).pipe(
      Effect.tapError((failure) => Effect.logDebug(`attempt failed for '${peer.name}': ${failure.reason}`))
    )

  /**
   * The attempts after a `first` that failed, as the retry policy allows. The
   * schedule is started only once an attempt has failed (most calls succeed at
   * once, and starting Effect.retry costs ~0.3 M instructions a call): it is
   * handed that first failure, then runs the further attempts.
   */
  const retryAfter = (peer: Peer, request: PeerRequest, attempt: Effect.Effect<PeerResponse, AttemptFailed>, first: AttemptFailed) => {
    let replayed = false
    const again = Effect.suspend(() => (replayed ? attempt : ((replayed = true), Effect.fail(first))))
    return Effect.retry(again, announced(policies[request.retry], peer.name)).pipe(
      Effect.catchAll((failure) => Either.match(outcomeAfter(peer, failure), { onLeft: Effect.fail, onRight: Effect.succeed }))
    )
  }

  const send = (peer: Peer, request: PeerRequest): Effect.Effect<PeerResponse, TransportError> =>
    Effect.suspend(() => {
      const ready = prepare(peer, request)
      if (!("target" in ready)) return Effect.fail(ready)
      const { token, target } = ready
      const attempt = attemptAt(peer, request, token, target)
      const sent = attempt.pipe(Effect.catchAll((first) => retryAfter(peer, request, attempt, first)))
      return target.protocol === "https:" ? Effect.zipRight(warnUnverified(peer.name, target.host), sent) : sent
    })

  /**
   * One request to each peer, at most `concurrency` at once, each outcome
   * handed to `onResult` as it comes. On our Node client, in one fiber: each
   * first attempt is a `NodeExchange`, and only a peer whose first attempt
   * failed in a way worth another gets a fiber for its retries. A fiber per
   * peer cost ~0.8 M instructions, the Effect loop ~0.5 M more (`status --all`
   * asks thousands of peers). Streamed bodies, other clients and `--log-level
   * debug` (whose lines the callbacks cannot log) take `send` for each peer.
   */
  const sendEach: PeerTransport.Service["sendEach"] = (peers, request, { concurrency }, onResult) =>
    Effect.gen(function* () {
      if (peers.length === 0) return
      const debug = LogLevel.lessThanEqual(yield* FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.Debug)
      if (nodeExchange === undefined || !isFixed(request) || debug) {
        return yield* Effect.forEach(
          peers,
          (peer, index) => Effect.either(send(peer, request)).pipe(Effect.map((result) => onResult(index, result))),
          { concurrency, discard: true }
        )
      }
      // The warnings first, as `send` gives each before its request; each peer is prepared as it goes.
      if (yield* tlsIsUnchecked) {
        for (const peer of peers) {
          const r = prepare(peer, request)
          if ("target" in r && r.target.protocol === "https:") yield* warnUnverified(peer.name, r.target.host)
        }
      }
      const runtime = yield* Effect.runtime<never>()
      const startFork = Runtime.runFork(runtime)
      yield* Effect.async<void>((resume) => {
        const cancels = new Map<number, () => void>()
        const retrying = new Set<Fiber.RuntimeFiber<Either.Either<PeerResponse, TransportError>>>()
        let next = 0
        let inFlight = 0
        let done = 0
        let stopped = false
        const finish = (index: number, result: Either.Either<PeerResponse, TransportError>) => {
          inFlight--
          done++
          onResult(index, result)
          if (done === peers.length) resume(Effect.void)
          else if (!starting) start()
        }
        // Requests leave in batches, one per turn of the event loop, so the
        // first are on their way while the rest are built, and answers are
        // read as they come rather than after every request is built.
        let starting = false
        const start = () => {
          if (stopped) return
          starting = true
          let batch = 0
          while (next < peers.length && inFlight < concurrency && batch < BATCH) {
            const index = next++
            const peer = peers[index]!
            const r = prepare(peer, request)
            inFlight++
            batch++
            if (!("target" in r)) {
              finish(index, Either.left(r))
              continue
            }
            const settled = (outcome: PeerResponse | AttemptFailed) => {
              cancels.delete(index)
              if (!(outcome instanceof AttemptFailed)) return finish(index, Either.right(outcome))
              if (!isRetryable(request.retry)(outcome) || options.retries < 1) return finish(index, outcomeAfter(peer, outcome))
              const fiber = startFork(Effect.either(retryAfter(peer, request, attemptAt(peer, request, r.token, r.target), outcome)))
              retrying.add(fiber)
              fiber.addObserver((exit) => {
                retrying.delete(fiber)
                if (stopped) return
                if (Exit.isSuccess(exit)) return finish(index, exit.value)
                // A defect in a retry is the whole call's.
                stop()
                resume(Effect.failCause(exit.cause))
              })
            }
            cancels.set(index, nodeExchange(r.token, request, r.target, settled, true))
          }
          starting = false
          if (next < peers.length && inFlight < concurrency) setImmediate(start)
        }
        const stop = () => {
          stopped = true
          for (const cancel of cancels.values()) cancel()
          cancels.clear()
          for (const fiber of retrying) fiber.unsafeInterruptAsFork(fiber.id())
        }
        start()
        return Effect.suspend(() => {
          stop()
          return Fiber.interruptAll(retrying)
        })
      })
    })

  return { options, send, sendEach }
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
    return { ...makeOn(options, own.client, own), writesChunkByChunk: true }
  })

/** HTTP on a client you provide (tests, custom agents). */
export const layerWith = (options: TransportOptions): Layer.Layer<PeerTransport, never, HttpClient.HttpClient> =>
  Layer.effect(PeerTransport, make(options))
