import * as Data from "effect/Data"

// Fields never shadow Error's own `name`, `message`, `stack` or `cause`:
// `name` stays the tag, so logs read `PeerNotFound: peer 'x' not found`.
// Messages say what happened; hints naming CLI commands are added by the CLI
// (src/commands/failure.ts), never here.

/** A name typed by the user that is not a valid peer (or site) name. */
export class InvalidPeerName extends Data.TaggedError("InvalidPeerName")<{
  /** The name as typed. */
  readonly value: string
  readonly reason: string
}> {
  override get message() {
    return `invalid name '${this.value}': ${this.reason}`
  }
}

/**
 * A URL that fazt cannot use as a peer address: typed by the user, or (with
 * `peer`) the URL stored for that peer.
 */
export class InvalidPeerUrl extends Data.TaggedError("InvalidPeerUrl")<{
  readonly url: string
  readonly reason: string
  /** Set when the URL is the one stored for this peer, not one just typed. */
  readonly peer?: string
}> {
  override get message() {
    return this.peer === undefined
      ? `invalid URL '${this.url}': ${this.reason}`
      : `peer '${this.peer}' has an unusable URL '${this.url}': ${this.reason}`
  }
}

/**
 * Any other input the user got wrong (flags, folders, durations). Its one
 * field is the Error's own message, as `Data.TaggedError` documents.
 */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly message: string
}> {}

/** The token stored for a peer (by another tool) cannot be sent: HTTP headers cannot carry it. */
export class UnusableToken extends Data.TaggedError("UnusableToken")<{
  readonly peer: string
  readonly reason: string
}> {
  override get message() {
    return `the stored token of '${this.peer}' cannot be sent: ${this.reason}`
  }
}

/** A token would cross the network unencrypted: plain http to a host that is not loopback. */
export class PlainHttpRefused extends Data.TaggedError("PlainHttpRefused")<{
  readonly peer: string
  readonly host: string
}> {
  override get message() {
    return `refusing to send the token of '${this.peer}' over plain http to ${this.host}`
  }
}

export class PeerNotFound extends Data.TaggedError("PeerNotFound")<{
  readonly peer: string
}> {
  override get message() {
    return `peer '${this.peer}' not found`
  }
}

export class PeerAlreadyExists extends Data.TaggedError("PeerAlreadyExists")<{
  readonly peer: string
}> {
  override get message() {
    return `peer '${this.peer}' already exists`
  }
}

export class NoPeers extends Data.TaggedError("NoPeers")<{}> {
  override get message() {
    return "no peers yet"
  }
}

export class NoDefaultPeer extends Data.TaggedError("NoDefaultPeer")<{
  readonly peers: ReadonlyArray<string>
}> {
  override get message() {
    return `${this.peers.length} peers and none is the default`
  }
}

/** The SQLite file cannot be opened, read or written. */
export class DatabaseError extends Data.TaggedError("DatabaseError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `database ${this.path}: ${this.reason}`
  }
}

export class PeerUnreachable extends Data.TaggedError("PeerUnreachable")<{
  readonly peer: string
  readonly url: string
  readonly reason: string
}> {
  override get message() {
    return `peer '${this.peer}' (${this.url}) unreachable: ${this.reason}`
  }
}

export class PeerUnauthorized extends Data.TaggedError("PeerUnauthorized")<{
  readonly peer: string
  readonly status: number
  readonly code: string
  readonly reason: string
  /**
   * `key`: the node refused the key we sent (or that we sent none).
   * `session`: fazt's admin middleware wants a browser session for this path
   * and turns away any API key (a bare-string 401 on a path that is not one of
   * the API-key paths): the key itself may be fine.
   */
  readonly scope: "key" | "session"
  /** The request, as `GET /api/apps`. */
  readonly request: string
}> {
  override get message() {
    return this.scope === "session"
      ? `peer '${this.peer}' answered HTTP ${this.status} "${this.reason}" to ${this.request}: fazt's admin host takes only a browser session there, not an API key (the key may well be valid)`
      : `peer '${this.peer}' refused our credentials (HTTP ${this.status} ${this.code}): ${this.reason}`
  }
}

/** The peer answered with a well-formed error envelope. */
export class PeerApiError extends Data.TaggedError("PeerApiError")<{
  readonly peer: string
  readonly status: number
  readonly code: string
  readonly reason: string
}> {
  override get message() {
    return `peer '${this.peer}' answered HTTP ${this.status} ${this.code}: ${this.reason}`
  }
}

/** The peer answered something that is not the fazt wire contract. */
export class PeerProtocolError extends Data.TaggedError("PeerProtocolError")<{
  readonly peer: string
  readonly status: number
  readonly reason: string
}> {
  override get message() {
    // Status 0: the answer was not HTTP we could parse, so it has no status.
    return this.status === 0
      ? `peer '${this.peer}' answered with ${this.reason}`
      : `peer '${this.peer}' answered HTTP ${this.status} with ${this.reason}`
  }
}

export type PeerCallError = PeerUnreachable | PeerUnauthorized | PeerApiError | PeerProtocolError

/** Every failure a user can cause or meet, each with its own exit code. */
export type FaztError =
  | InvalidPeerName
  | InvalidPeerUrl
  | InvalidInput
  | PlainHttpRefused
  | UnusableToken
  | PeerNotFound
  | PeerAlreadyExists
  | NoPeers
  | NoDefaultPeer
  | DatabaseError
  | PeerCallError
