import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeSink from "@effect/platform-node/NodeSink"
import { Deferred, Effect, Layer, Stream } from "effect"
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
 */
// Statuses whose answer has no body by definition (the web Response refuses one).
const NO_BODY = new Set([101, 204, 205, 304])

const toResponse = (request: HttpClientRequest.HttpClientRequest, incoming: http.IncomingMessage) => {
  const headers = new Headers()
  for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!)
  const status = incoming.statusCode ?? 0
  const body = NO_BODY.has(status) ? null : (Readable.toWeb(incoming) as unknown as ReadableStream<Uint8Array>)
  if (body === null) incoming.resume()
  return HttpClientResponse.fromWeb(request, new Response(body, { status, headers }))
}

const transportError = (request: HttpClientRequest.HttpClientRequest, cause: unknown) =>
  new HttpClientError.RequestError({ request, reason: "Transport", cause })

/** Options for the keep-alive agents, e.g. a `lookup` for name resolution. */
export type AgentOptions = Pick<http.AgentOptions, "lookup">

export const make = (agentOptions: AgentOptions = {}): HttpClient.HttpClient => {
  const agents = {
    http: new http.Agent({ keepAlive: true, ...agentOptions }),
    https: new https.Agent({ keepAlive: true, ...agentOptions })
  }
  return HttpClient.make((request, url, signal) =>
    Effect.gen(function* () {
      const answer = yield* Deferred.make<http.IncomingMessage, HttpClientError.RequestError>()
      const nodeRequest = (url.protocol === "https:" ? https : http).request(url, {
        agent: url.protocol === "https:" ? agents.https : agents.http,
        method: request.method,
        headers: request.headers,
        signal
      })
      nodeRequest.on("response", (incoming) => Deferred.unsafeDone(answer, Effect.succeed(incoming)))
      // An error after the answer came belongs to the upload, which no longer matters.
      nodeRequest.on("error", (cause) => Deferred.unsafeDone(answer, Effect.fail(transportError(request, cause))))

      const body = request.body
      const send: Effect.Effect<void, HttpClientError.RequestError> = body._tag === "Stream"
        ? Stream.run(
          Stream.mapError(body.stream, (cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause })),
          NodeSink.fromWritable(() => nodeRequest, (cause) => transportError(request, cause))
        )
        : Effect.sync(() => {
          if (body._tag === "Uint8Array") nodeRequest.end(body.body)
          else if (body._tag === "Raw") nodeRequest.end(body.body as string | Uint8Array)
          else if (body._tag === "Empty") nodeRequest.end()
          else throw new Error("FormData bodies are not used by fazt remote")
        })
      // A failed upload fails the call only if no answer came first (Deferred keeps the first outcome).
      yield* Effect.forkDaemon(Effect.catchAll(send, (e) => Deferred.fail(answer, e)))
      const incoming = yield* Deferred.await(answer)
      return toResponse(request, incoming)
    }))
}

export const layer = (agentOptions: AgentOptions = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.sync(HttpClient.HttpClient, () => make(agentOptions))
