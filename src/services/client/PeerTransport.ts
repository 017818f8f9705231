import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Schedule from "effect/Schedule"
import type * as Stream from "effect/Stream"
import type {
  InvalidPeerUrl,
  PeerApiError,
  PeerProtocolError,
  PeerUnreachable,
  PlainHttpRefused,
  UnusableToken
} from "../../domain/errors.js"
import type { Peer } from "../../domain/Peer.js"

export interface TransportOptions {
  /** For one attempt, the whole exchange: connect, send, headers and body. */
  readonly timeout: Duration.DurationInput
  /** Further attempts after a transient failure, at most MAX_RETRIES (more count as that many). */
  readonly retries: number
  /** Allow a token over plain http to a host that is not loopback. */
  readonly insecure: boolean
  /** Larger answers are refused rather than held in memory. */
  readonly maxResponseBytes: number
  /** First backoff step; doubled each retry, with jitter. */
  readonly backoff: Duration.DurationInput
  /** Told before each wait for a retry, so a program can say why it is waiting. */
  readonly onRetry?: (event: RetryEvent) => Effect.Effect<void>
  /**
   * Replaces the backoff: when to try again after a transient failure (it may
   * also stop earlier). `retries` still caps the count, only transient
   * failures are retried, and a node's `Retry-After` still wins when longer.
   */
  readonly retrySchedule?: Schedule.Schedule<unknown, AttemptFailure> | undefined
}

/** One retry about to happen: after `delay`, attempt `attempt + 1` of `retries + 1`. */
export interface RetryEvent {
  readonly peer: string
  /** What went wrong: `HTTP 429`, `connection refused`, … */
  readonly reason: string
  readonly delay: Duration.Duration
  /** 1 for the first retry. */
  readonly attempt: number
  readonly retries: number
}

/** One failed attempt, as a retry schedule sees it. */
export interface AttemptFailure {
  /**
   * `refused`/`reset`: before any answer; `status`: 429, 502, 503 or 504; the
   * rest are not retried (`protocol`: an answer that is not usable HTTP).
   */
  readonly kind: "refused" | "reset" | "network" | "timeout" | "too-large" | "protocol" | "status"
  readonly reason: string
  /** The node's `Retry-After`, when it sent one. */
  readonly retryAfter?: Duration.Duration
}

export const defaultTransportOptions: TransportOptions = {
  timeout: "30 seconds",
  retries: 3,
  insecure: false,
  maxResponseBytes: 16 * 1024 * 1024,
  backoff: "250 millis"
}

export interface RequestBody {
  readonly stream: Stream.Stream<Uint8Array, unknown>
  readonly contentType: string
  readonly contentLength?: number
}

/** A body known before sending (a few bytes of JSON): the same bytes on every attempt. */
export interface RequestBytes {
  readonly contentType: string
  readonly bytes: Uint8Array
}

export interface PeerRequest {
  readonly method: "GET" | "POST" | "DELETE"
  readonly path: string
  readonly query?: Readonly<Record<string, string>>
  /** Bytes known before sending, or a stream built afresh for each attempt (a retry re-sends the whole body). */
  readonly body?: (() => RequestBody) | RequestBytes
  /**
   * `transient`: retried on refused/reset connections, 502/503/504 and 429.
   * `refused-only`: for calls that must not run twice (upgrade): retried only
   * when the connection was refused, which proves the node never saw it.
   */
  readonly retry: "transient" | "refused-only"
}

export interface PeerResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
  /** Where the answer came from, after redirects. */
  readonly url: string
  /** True when a redirect led to another origin, which never gets the token. */
  readonly leftOrigin: boolean
}

/** `PeerApiError` only for a `Retry-After` longer than fazt waits. */
export type TransportError =
  | PeerUnreachable
  | PeerProtocolError
  | PeerApiError
  | InvalidPeerUrl
  | PlainHttpRefused
  | UnusableToken

export declare namespace PeerTransport {
  export interface Service {
    readonly options: TransportOptions
    readonly send: (peer: Peer, request: PeerRequest) => Effect.Effect<PeerResponse, TransportError>
    /**
     * `send` to each of `peers` (at most `concurrency` at once), each outcome
     * handed to `onResult` with the peer's index as soon as it is known. A
     * transport may do this more cheaply than a fiber per peer; without it,
     * callers run `send` for each.
     */
    readonly sendEach?: (
      peers: ReadonlyArray<Peer>,
      request: PeerRequest,
      options: { readonly concurrency: number },
      onResult: (index: number, result: Either.Either<PeerResponse, TransportError>) => void
    ) => Effect.Effect<void>
    /**
     * Each chunk of a request body has been handed to the connection before
     * the next one is pulled, so an upload may read into reused buffers.
     * Leave unset unless that holds.
     */
    readonly writesChunkByChunk?: boolean
  }
}

/**
 * How bytes reach a peer. HTTP today (`HttpTransport.ts`, provided lazily by
 * the composition roots: `FaztRemote.httpTransport`, `commands/layers.ts`); a
 * mesh transport can provide this same Tag later and every command keeps
 * working. This module holds only the Tag and its types.
 */
export class PeerTransport extends Context.Tag("fazt/PeerTransport")<PeerTransport, PeerTransport.Service>() {}
