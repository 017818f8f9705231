import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as http from "node:http"
import * as https from "node:https"
import { Readable } from "node:stream"

/**
 * Node's HTTP client, except that an answer that arrives while the body is
 * still being sent wins over the broken upload that follows it.
 *
 * A node refusing an upload (413 past its size limit: fazt's is ~100 MB, our
 * node's `--max-upload`) answers early and closes the connection; writing the
 * rest then fails with a reset. `@effect/platform-node`'s client waits for the
 * whole body to be written and reports only the reset, so a deploy over the
 * limit looked like a flaky network and was uploaded four times. Here the
 * answer, once it has come, is the result.
 *
 * It is also lean, as `status --all` asks hundreds of peers at once: the
 * answer is read straight from Node's IncomingMessage (no web Response, whose
 * undici took ~1 ms a request and ~50 ms to load), and there is no
 * AbortController (`HttpClient.make` aborts one after every answer, building a
 * DOMException each time) nor a tracing span per request; an interrupted call
 * destroys its request itself.
 */

/**
 * The headers as they came, names in lower case, a repeated header joined with
 * ", " (as a web Headers object would; Node's own `headers` keeps only the
 * first of some).
 */
export const headerRecord = (incoming: http.IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  const raw = incoming.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    const value = raw[i + 1]!
    out[name] = name in out ? `${out[name]}, ${value}` : value
  }
  return out
}

const headersOf = (incoming: http.IncomingMessage): Headers.Headers => Headers.fromInput(headerRecord(incoming))

const transportError = (request: HttpClientRequest.HttpClientRequest, cause: unknown) =>
  new HttpClientError.RequestError({ request, reason: "Transport", cause })

/** An answer as Node's client delivered it; the body is read at most once. */
class NodeAnswer extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private cachedHeaders: Headers.Headers | undefined

  constructor(readonly request: HttpClientRequest.HttpClientRequest, readonly source: http.IncomingMessage) {
    super()
  }

  private readonly onError = (cause: unknown) =>
    new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })

  get status(): number {
    return this.source.statusCode ?? 0
  }
  get headers(): Headers.Headers {
    return (this.cachedHeaders ??= headersOf(this.source))
  }
  get cookies(): Cookies.Cookies {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(header)
  }
  get remoteAddress(): Option.Option<string> {
    return Option.fromNullable(this.source.socket?.remoteAddress)
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return NodeStream.fromReadable<HttpClientError.ResponseError, Uint8Array>(() => this.source, this.onError)
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(
      Stream.runCollect(this.stream),
      (chunks) => {
        const whole = Buffer.concat(Array.from(chunks))
        return whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.length) as ArrayBuffer
      }
    )
  }
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.arrayBuffer, (b) => Buffer.from(b).toString("utf8"))
  }
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) => Effect.try({ try: () => (text === "" ? null : JSON.parse(text)), catch: this.onError }))
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    // Never used by fazt remote; the web Response is loaded only if someone asks.
    return Effect.tryPromise({
      try: () =>
        new Response(Readable.toWeb(this.source) as unknown as ReadableStream<Uint8Array>, {
          status: this.status,
          headers: this.source.headers as Record<string, string>
        }).formData(),
      catch: this.onError
    })
  }
  toJSON(): unknown {
    return { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status, headers: this.headers }
  }
}

/**
 * The whole body of one of this client's answers, up to `cap` bytes, read
 * straight from Node's stream: a small JSON answer costs one callback per
 * chunk rather than a Stream's machinery. `undefined` for an answer from
 * another client (read it as a Stream then). Over the cap: `TooLarge`.
 */
export const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  cap: number
): Effect.Effect<Buffer, BodyTooLarge | HttpClientError.ResponseError> | undefined => {
  if (!(response instanceof NodeAnswer)) return undefined
  const source = response.source
  return Effect.async<Buffer, BodyTooLarge | HttpClientError.ResponseError>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > cap) {
        done()
        source.destroy()
        resume(Effect.fail(new BodyTooLarge({ cap })))
      } else chunks.push(chunk)
    }
    const onEnd = () => {
      done()
      resume(Effect.succeed(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    }
    const onError = (cause: unknown) => {
      done()
      resume(Effect.fail(new HttpClientError.ResponseError({ request: response.request, response, reason: "Decode", cause })))
    }
    // An answer cut short (the peer closed mid-body) ends with "aborted" and "close", not "end".
    const onClose = () => {
      if (!source.complete) onError(new Error("the answer was cut short"))
    }
    const done = () => {
      source.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose)
    }
    source.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose)
    return Effect.sync(() => {
      done()
      source.destroy()
    })
  })
}

export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly cap: number }> {}

/**
 * Writes the body chunk by chunk, each handed to the connection before the
 * next is pulled: when Node buffers one (its write returns false) this waits
 * for "drain", so a chunk the zip writer reads into a reused buffer has left
 * before that buffer is filled again. Stops, without error, once the request
 * is gone (an early answer closed it, or the call was interrupted).
 */
const writeBody = <E>(nodeRequest: http.ClientRequest, stream: Stream.Stream<Uint8Array, E>): Effect.Effect<void, E> =>
  Stream.runForEachWhile(Stream.chunks(stream), (chunk) =>
    Effect.async<boolean>((resume) => {
      if (nodeRequest.destroyed) return resume(Effect.succeed(false))
      let flowing = true
      for (const piece of chunk) if (piece.length > 0) flowing = nodeRequest.write(piece) && flowing
      if (flowing) return resume(Effect.succeed(true))
      const go = () => {
        nodeRequest.off("drain", go).off("close", go)
        resume(Effect.succeed(!nodeRequest.destroyed))
      }
      nodeRequest.on("drain", go).on("close", go)
      return Effect.sync(() => void nodeRequest.off("drain", go).off("close", go))
    }))

/** What destroys a request whose deadline has passed. */
export class DeadlinePassed extends Error {
  readonly code = "FAZT_DEADLINE"
  constructor() {
    super("the deadline passed")
  }
}

/** The longest delay a Node timer takes; a longer one would fire at once. */
export const MAX_TIMER_MILLIS = 2_147_483_647

/**
 * All the time one attempt may take with this client: connecting, sending,
 * every redirect hop and reading the answer. When it passes, the request in
 * flight is destroyed (its answer with it), so whatever waits on it fails at
 * once, and `expired` tells that failure from a network error. It replaces
 * `Effect.timeout`, which races two forked fibers per request (their
 * FiberRefs copied and joined, the sleeper interrupted): ~1.5 M instructions
 * a peer of `status --all`. `clear` it when the attempt ends, however.
 */
export class Deadline {
  expired = false
  private inFlight: http.ClientRequest | undefined
  private readonly timer: ReturnType<typeof setTimeout> | undefined

  constructor(millis: number) {
    // Longer than a Node timer holds (or infinite): no deadline, as Effect.timeout would never fire either.
    if (millis > MAX_TIMER_MILLIS || Number.isNaN(millis)) return
    this.timer = setTimeout(() => {
      this.expired = true
      this.inFlight?.destroy(new DeadlinePassed())
    }, Math.max(0, millis))
    // The request in flight keeps the process alive; a stray timer must not.
    this.timer.unref()
  }

  /** `request` is the hop now in flight (the previous one is done with). */
  watch(request: http.ClientRequest): void {
    this.inFlight = request
    if (this.expired) request.destroy(new DeadlinePassed())
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.inFlight = undefined
  }
}

/** Options for the keep-alive agents, e.g. a `lookup` for name resolution. */
export type AgentOptions = Pick<http.AgentOptions, "lookup">

/** This client as an `HttpClient`, and its `execute` under a `Deadline`. */
export interface WithDeadlines {
  /** The keep-alive agents this client sends through (nodeExchange.ts shares them). */
  readonly agents: { readonly http: http.Agent; readonly https: https.Agent }
  readonly client: HttpClient.HttpClient
  readonly execute: (
    request: HttpClientRequest.HttpClientRequest,
    deadline: Deadline | undefined
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
}

export const makeWithDeadlines = (agentOptions: AgentOptions = {}): WithDeadlines => {
  const agents = {
    http: new http.Agent({ keepAlive: true, ...agentOptions }),
    // Made on first use: https (with tls and crypto) costs ~20 M instructions to load, and most fleets on a LAN are plain http.
    // (A computed key: the build requires a Node module at once where its name stands alone, scripts/bundle-cli.mjs.)
    get ["https"](): https.Agent {
      const agent = new https.Agent({ keepAlive: true, ...agentOptions })
      Object.defineProperty(this, "https", { value: agent })
      return agent
    }
  }
  const execute = (
    request: HttpClientRequest.HttpClientRequest,
    deadline: Deadline | undefined
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
    Effect.suspend(() => {
      const target = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
      if (target._tag === "Left") {
        return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: target.left }))
      }
      const url = target.right
      const answer = Deferred.unsafeMake<http.IncomingMessage, HttpClientError.RequestError>(FiberId.none)
      const nodeRequest = url.protocol === "https:"
        ? https.request(url, { agent: agents.https, method: request.method, headers: request.headers })
        : http.request(url, { agent: agents.http, method: request.method, headers: request.headers })
      deadline?.watch(nodeRequest)
      nodeRequest.on("response", (incoming) => Deferred.unsafeDone(answer, Effect.succeed(incoming)))
      // An error after the answer came belongs to the upload, which no longer matters.
      nodeRequest.on("error", (cause) => Deferred.unsafeDone(answer, Effect.fail(transportError(request, cause))))

      const body = request.body
      let sending: Effect.Effect<unknown> = Effect.void
      if (body._tag === "Stream") {
        // A body that fails (a file vanished) or dies must not reach the node as a
        // shorter complete upload: the request is destroyed, never ended. The
        // failure fails the call only if no answer came first (Deferred keeps the first outcome).
        sending = Effect.forkDaemon(
          writeBody(nodeRequest, Stream.mapError(body.stream, (cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause }))).pipe(
            Effect.matchCauseEffect({
              // Answered before the last byte went (a 413 on an early look at the
              // upload): the node may have reset its side, and the write that
              // ends the request can fail on a socket Node has already handed
              // back, where no one listens for its error. That error no longer
              // matters: it is heard and dropped.
              onSuccess: () =>
                Effect.flatMap(Deferred.isDone(answer), (answered) =>
                  Effect.sync(() => {
                    if (answered) nodeRequest.socket?.once("error", () => {})
                    nodeRequest.end()
                  })),
              onFailure: (cause) =>
                Effect.zipRight(Effect.sync(() => nodeRequest.destroy()), Deferred.failCause(answer, cause))
            })
          )
        )
      } else if (body._tag === "Uint8Array") nodeRequest.end(body.body)
      else if (body._tag === "Raw") nodeRequest.end(body.body as string | Uint8Array)
      else if (body._tag === "Empty") nodeRequest.end()
      else {
        nodeRequest.destroy()
        return Effect.fail(new HttpClientError.RequestError({ request, reason: "Encode", cause: "FormData bodies are not used by fazt remote" }))
      }
      return sending.pipe(
        Effect.zipRight(Deferred.await(answer)),
        // Interrupted (a timeout, Ctrl-C) before the answer: the request goes, its socket with it.
        Effect.onInterrupt(() => Effect.sync(() => nodeRequest.destroy())),
        Effect.map((incoming) => new NodeAnswer(request, incoming))
      )
    })
  const client = HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (effect) => Effect.flatMap(effect, (request) => execute(request, undefined)),
    Effect.succeed
  )
  return { agents, client, execute }
}

export const make = (agentOptions: AgentOptions = {}): HttpClient.HttpClient => makeWithDeadlines(agentOptions).client

export const layer = (agentOptions: AgentOptions = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.sync(HttpClient.HttpClient, () => make(agentOptions))
