import { Data } from "effect"

/** A name typed by the user that is not a valid peer (or site) name. */
export class InvalidPeerName extends Data.TaggedError("InvalidPeerName")<{
  readonly name: string
  readonly reason: string
}> {
  override get message() {
    return `invalid name '${this.name}': ${this.reason}`
  }
}

/** A URL typed by the user that fazt cannot use as a peer address. */
export class InvalidPeerUrl extends Data.TaggedError("InvalidPeerUrl")<{
  readonly url: string
  readonly reason: string
}> {
  override get message() {
    return `invalid URL '${this.url}': ${this.reason}`
  }
}

/** Any other input the user got wrong (flags, folders, durations). */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly message: string
}> {}

export class PeerNotFound extends Data.TaggedError("PeerNotFound")<{
  readonly name: string
}> {
  override get message() {
    return `peer '${this.name}' not found (run 'fazt remote' to list peers)`
  }
}

export class PeerAlreadyExists extends Data.TaggedError("PeerAlreadyExists")<{
  readonly name: string
}> {
  override get message() {
    return `peer '${this.name}' already exists (use 'fazt remote set-url' or 'fazt remote set-token' to change it)`
  }
}

export class NoPeers extends Data.TaggedError("NoPeers")<{}> {
  override get message() {
    return "no peers yet: add one with 'fazt remote add <name> <url> --token <token>'"
  }
}

export class NoDefaultPeer extends Data.TaggedError("NoDefaultPeer")<{
  readonly peers: ReadonlyArray<string>
}> {
  override get message() {
    return `${this.peers.length} peers and none is the default: name one, or run 'fazt remote default <name>'`
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
}> {
  override get message() {
    return `peer '${this.peer}' refused our credentials (HTTP ${this.status} ${this.code}): ${this.reason}; set a new key with 'fazt remote set-token ${this.peer}'`
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
    return `peer '${this.peer}' answered HTTP ${this.status} with ${this.reason}`
  }
}

export type PeerCallError = PeerUnreachable | PeerUnauthorized | PeerApiError | PeerProtocolError

/** Every failure a user can cause or meet, each with its own exit code. */
export type FaztError =
  | InvalidPeerName
  | InvalidPeerUrl
  | InvalidInput
  | PeerNotFound
  | PeerAlreadyExists
  | NoPeers
  | NoDefaultPeer
  | DatabaseError
  | PeerCallError
