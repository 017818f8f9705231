import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import type { UnreachableKind } from "../../domain/errors.js"
import { MAX_RETRY_AFTER_MILLIS } from "../../domain/transportPolicy.js"
import type { PeerResponse } from "./PeerTransport.js"

/**
 * What one attempt at a request ends in, decided the same way whichever loop
 * ran it: the Effect loop on an `HttpClient` (HttpTransport.ts) or the
 * callback exchange on Node's client (nodeExchange.ts).
 */

/** One failed attempt, before it becomes a user-facing error. */
export class AttemptFailed extends Data.TaggedError("AttemptFailed")<{
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
export const RETRY_AFTER_CEILING = Duration.millis(MAX_RETRY_AFTER_MILLIS)

export const MAX_REDIRECTS = 5

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

export const describeNetworkError = (cause: unknown, host: string): NetworkFailure => {
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

/** Once an answer has begun, a broken connection is not retried: the node may have acted. */
export const brokeWhileAnswering = (cause: unknown, host: string): AttemptFailed => {
  const broken = describeNetworkError(cause, host)
  return new AttemptFailed({
    kind: "network",
    unreachable: broken.unreachable,
    reason: `the connection broke while the answer was arriving (${broken.reason})`
  })
}

export const isTooLong = (wait: Duration.Duration | undefined): wait is Duration.Duration =>
  wait !== undefined && Duration.greaterThan(wait, RETRY_AFTER_CEILING)

/** `Retry-After` as seconds or an HTTP date. */
const parseRetryAfter = (value: string | undefined): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Duration.millis(Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Duration.millis(Math.max(0, at - Date.now()))
}

export const declaredTooLarge = (declared: number, cap: number) =>
  new AttemptFailed({ kind: "too-large", reason: `an answer of ${declared} bytes (the limit is ${cap})` })

export const bodyTooLarge = (cap: number) =>
  new AttemptFailed({ kind: "too-large", reason: `an answer larger than ${cap} bytes` })

/**
 * Where a redirect leads, or why it is not followed: too many hops, a
 * `Location` that is not a URL, or one that is not http(s).
 */
export const redirectTarget = (location: string, from: URL, hops: number, status: number): URL | AttemptFailed => {
  if (hops >= MAX_REDIRECTS) {
    return new AttemptFailed({ kind: "protocol", status, reason: `more than ${MAX_REDIRECTS} redirects` })
  }
  let next: URL
  try {
    next = new URL(location, from)
  } catch {
    return new AttemptFailed({ kind: "protocol", status, reason: `a redirect to '${location}', which is not a URL` })
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    return new AttemptFailed({
      kind: "protocol",
      status,
      reason: `a redirect to a ${next.protocol.replace(/:$/, "")}: URL, which is not http(s)`
    })
  }
  return next
}

/** A whole answer: the response, or (429, 502, 503, 504) a failure the retry policy may try again. */
export const settle = (response: PeerResponse): PeerResponse | AttemptFailed => {
  if (!TRANSIENT_STATUS.has(response.status)) return response
  const retryAfter = parseRetryAfter(response.headers["retry-after"])
  return new AttemptFailed({
    kind: "status",
    reason: `HTTP ${response.status}`,
    response,
    ...(retryAfter ? { retryAfter } : {})
  })
}
