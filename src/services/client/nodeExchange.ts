import * as http from "node:http"
import * as https from "node:https"
import {
  AttemptFailed,
  bodyTooLarge,
  brokeWhileAnswering,
  declaredTooLarge,
  describeNetworkError,
  redirectTarget,
  settle
} from "./attempt.js"
import { DeadlinePassed, headerRecord, MAX_TIMER_MILLIS } from "./earlyAnswerHttpClient.js"
import type { PeerRequest, PeerResponse } from "./PeerTransport.js"

/**
 * One attempt at a request whose body is known in advance (none, or a few
 * bytes of JSON), on Node's client, in plain callbacks: every hop, the
 * deadline and the answer's cap in one piece of state, and one callback with
 * the outcome. The Effect loop in HttpTransport.ts does the same on any
 * `HttpClient` and for streamed bodies, at ~0.5 M instructions more a call;
 * both take their decisions from attempt.ts. `status --all` runs hundreds of
 * these at once from one fiber.
 *
 * Returns a function that abandons the attempt (its request destroyed, its
 * outcome never delivered).
 */
export type NodeExchange = (
  token: string,
  request: PeerRequest,
  start: URL,
  done: (outcome: PeerResponse | AttemptFailed) => void,
  /**
   * Close the connection after the answer instead of keeping it for another
   * request: a fleet asks each peer once, and a thousand idle kept-alive
   * sockets would hold a thousand descriptors past the concurrency cap.
   * fazt's server is Go's `http.Server` (cmd/server/main.go), which closes
   * the connection after answering a request that says `Connection: close`.
   */
  once?: boolean
) => () => void

export interface NodeExchangeOptions {
  readonly agents: { readonly http: http.Agent; readonly https: https.Agent }
  /** Larger answers are refused. */
  readonly cap: number
  /** The whole attempt, every hop and the answer included. */
  readonly timeoutMillis: number
  readonly timedOut: () => AttemptFailed
}

/** Whether a request can go through `NodeExchange`: its body, if any, is bytes known before sending. */
export const isFixed = (request: PeerRequest): boolean => typeof request.body !== "function"

export const makeNodeExchange = (options: NodeExchangeOptions): NodeExchange => {
  const { agents, cap, timeoutMillis, timedOut } = options
  return (token, request, start, done, once = false) => {
    let finished = false
    let current: http.ClientRequest | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = (outcome: PeerResponse | AttemptFailed) => {
      if (finished) return
      finished = true
      if (timer !== undefined) clearTimeout(timer)
      done(outcome)
    }
    // Longer than a Node timer holds (or infinite): no deadline.
    if (timeoutMillis <= MAX_TIMER_MILLIS && !Number.isNaN(timeoutMillis)) {
      timer = setTimeout(() => {
        current?.destroy(new DeadlinePassed())
        finish(timedOut())
      }, Math.max(0, timeoutMillis))
      // The request in flight keeps the process alive; a stray timer must not.
      timer.unref()
    }
    const body = typeof request.body === "function" ? undefined : request.body

    const hop = (url: URL, leftOrigin: boolean, hops: number) => {
      const headers: Record<string, string> = { accept: "application/json" }
      if (once) headers["connection"] = "close"
      // The one place the token is revealed on this path: the Authorization header.
      if (token !== "" && !leftOrigin) headers["authorization"] = `Bearer ${token}`
      if (body !== undefined) {
        headers["content-type"] = body.contentType
        headers["content-length"] = String(body.bytes.length)
      }
      let target = url
      if (request.query !== undefined) {
        target = new URL(url)
        for (const [name, value] of Object.entries(request.query)) target.searchParams.append(name, value)
      }
      // `https.request` only for an https URL: loading https (tls, crypto) costs ~20 M instructions.
      const outgoing = url.protocol === "https:"
        ? https.request(target, { agent: agents.https, method: request.method, headers })
        : http.request(target, { agent: agents.http, method: request.method, headers })
      current = outgoing
      let answering = false
      // Once an answer has begun, a broken connection is not retried: the node may have acted.
      outgoing.on("error", (cause) =>
        finish(answering && !(cause instanceof DeadlinePassed) ? brokeWhileAnswering(cause, url.host) : describeFailure(cause, url)))
      outgoing.on("response", (incoming) => {
        answering = true
        const status = incoming.statusCode ?? 0
        const declared = Number(incoming.headers["content-length"] ?? "0")
        if (declared > cap) {
          incoming.destroy()
          return finish(declaredTooLarge(declared, cap))
        }
        const location = incoming.headers["location"]
        const redirect = request.method === "GET" && status >= 300 && status < 400 && location !== undefined && location !== ""
        const chunks: Array<Buffer> = []
        let size = 0
        let followed = false
        const next = () => {
          if (followed || finished) return
          followed = true
          const to = redirectTarget(location!, url, hops, status)
          if (to instanceof AttemptFailed) return finish(to)
          hop(to, leftOrigin || to.origin !== start.origin, hops + 1)
        }
        incoming.on("data", (chunk: Buffer) => {
          size += chunk.length
          if (size <= cap) {
            if (!redirect) chunks.push(chunk)
            return
          }
          incoming.destroy()
          // A redirect's body is only drained: cut short, the redirect is still followed.
          if (redirect) next()
          else finish(bodyTooLarge(cap))
        })
        incoming.on("end", () => {
          if (size > cap) return
          if (redirect) return next()
          finish(settle({
            status,
            headers: headerRecord(incoming),
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
            url: url.toString(),
            leftOrigin
          }))
        })
        // An answer cut short (the peer closed mid-body) ends with "aborted" and "close", not "end".
        const broke = (cause: unknown) => {
          if (finished || size > cap) return
          if (redirect) return next()
          finish(brokeWhileAnswering(cause, url.host))
        }
        incoming.on("error", broke)
        incoming.on("close", () => {
          if (!incoming.complete) broke(new Error("the answer was cut short"))
        })
      })
      if (body !== undefined) outgoing.end(body.bytes)
      else outgoing.end()
    }

    const describeFailure = (cause: unknown, url: URL): AttemptFailed =>
      cause instanceof DeadlinePassed ? timedOut() : new AttemptFailed(describeNetworkError(cause, url.host))

    hop(start, false, 0)
    return () => {
      if (finished) return
      finished = true
      if (timer !== undefined) clearTimeout(timer)
      current?.destroy()
    }
  }
}
