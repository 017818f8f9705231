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
  /** `site` when it is the name of a site to deploy (the same rules as a peer's). */
  readonly kind?: "site"
}> {
  override get message() {
    return `invalid ${this.kind === "site" ? "site " : ""}name '${this.value}': ${this.reason}`
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
 * What was typed on the command line does not parse: an unknown command or
 * flag, a missing argument, a flag value out of range. The CLI's own error
 * (exit 2, `--json` code `USAGE`); its one field is the Error's own message.
 */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly message: string
}> {}

/**
 * Any other value the user gave that is refused (a peer's description, an
 * unreadable standard input). Its one field is the Error's own message, as
 * `Data.TaggedError` documents.
 */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly message: string
}> {}

/** A token given to be stored that HTTP headers could not carry (or that is no token at all). */
export class InvalidToken extends Data.TaggedError("InvalidToken")<{
  /** Where it came from (`standard input`, `FAZT_TOKEN`), when the caller knows. */
  readonly source?: string
  readonly reason: string
}> {
  override get message() {
    return this.source === undefined
      ? `the token was refused: ${this.reason}`
      : `the token from ${this.source} was refused: ${this.reason}`
  }
}

/** The folder to deploy cannot be deployed: it is missing, not a folder, unreadable, or holds nothing to ship. */
export class InvalidFolder extends Data.TaggedError("InvalidFolder")<{
  /** The folder as given. */
  readonly folder: string
  readonly problem: "missing" | "not-a-folder" | "unreadable" | "empty"
  /** What the system said, for `unreadable`; for `not-a-folder`, what to give instead. */
  readonly reason?: string
}> {
  override get message() {
    switch (this.problem) {
      case "missing":
        return `folder ${this.folder} does not exist`
      case "not-a-folder":
        return `${this.folder} is not a folder${this.reason === undefined ? "" : `: ${this.reason}`}`
      case "unreadable":
        return `cannot read ${this.folder}: ${this.reason ?? "permission denied"}`
      case "empty":
        return `${this.folder} has nothing to deploy (hidden files, node_modules and ignored files are left out)`
    }
  }
}

/**
 * A file of the site could not go into the zip while it was being written:
 * it vanished or could not be read, it grew past what a zip without ZIP64
 * holds, or its path is longer than a zip header holds.
 */
export class UnzippableFile extends Data.TaggedError("UnzippableFile")<{
  /** The file's path inside the site. */
  readonly file: string
  /** `changed`: replaced since the scan (another file, a link, a FIFO); `grew` / `truncated`: its size changed. */
  readonly problem: "vanished" | "unreadable" | "grew" | "truncated" | "changed" | "path-too-long" | "refused-name"
  readonly reason: string
}> {
  override get message() {
    const file = this.file.length > 80 ? `${this.file.slice(0, 80)}…` : this.file
    return this.problem === "vanished" || this.problem === "unreadable"
      ? `cannot read ${file}: ${this.reason}`
      : `cannot zip ${file}: ${this.reason}`
  }
}

/**
 * The build step before a deploy (fazt's `internal/build/build.go`) did not
 * give a folder to ship: the install or the build exited non-zero (`exit_code`
 * and its last lines kept), a tool it needs is missing, or it left no output
 * folder. Nothing was uploaded.
 */
export class BuildFailed extends Data.TaggedError("BuildFailed")<{
  /** The source folder, as given. */
  readonly folder: string
  /** `install` (dependencies), `build` (the script), `output` (no output folder), `tool` (nothing to build with). */
  readonly step: "install" | "build" | "output" | "tool"
  /** The command run (`npm run build`), when one was. */
  readonly command?: string
  /** Its exit code; null when a signal ended it. */
  readonly exit_code?: number | null
  readonly signal?: string | null
  /** The tool that is missing (`pnpm`, `vite`, …), when that is the cause. */
  readonly missing?: string
  /** The last lines it printed (stdout and stderr, interleaved as they came). */
  readonly last_lines: ReadonlyArray<string>
  readonly reason: string
}> {
  override get message() {
    return `build of ${this.folder} failed: ${this.reason}`
  }
}

/** The local node cannot listen where it was asked to: the port is in use, or the address is not ours. */
export class ListenFailed extends Data.TaggedError("ListenFailed")<{
  readonly host: string
  readonly port: number
  /** The system's code (`EADDRINUSE`, `EACCES`, …) when there is one. */
  readonly code?: string
  readonly reason: string
}> {
  override get message() {
    return `cannot listen on ${this.host}:${this.port}: ${this.reason}`
  }
}

/** `fazt server start` on a database another running node already serves. */
export class NodeAlreadyRunning extends Data.TaggedError("NodeAlreadyRunning")<{
  readonly database: string
  readonly pid?: number
  readonly url?: string
  readonly since?: string
}> {
  override get message() {
    const who = [
      this.pid === undefined ? undefined : `pid ${this.pid}`,
      this.url === undefined ? undefined : `listening on ${this.url}`,
      this.since === undefined ? undefined : `since ${this.since} UTC`
    ].filter((x) => x !== undefined)
    return `another fazt node already serves the database ${this.database}${who.length ? ` (${who.join(", ")})` : ""}`
  }
}

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

/**
 * How a peer could not be reached, for programs to match on: the connection
 * was `refused` (nothing listens) or `reset`/broken before a whole answer;
 * the name did not resolve (`dns`); the TLS handshake failed (`tls`, also
 * plain http spoken to an https URL's port, or the reverse); no complete answer
 * within the timeout (`timeout`); no route to the host (`no-route`); or
 * another network error (`other`).
 */
export type UnreachableKind = "refused" | "reset" | "dns" | "tls" | "timeout" | "no-route" | "other"

export class PeerUnreachable extends Data.TaggedError("PeerUnreachable")<{
  readonly peer: string
  readonly url: string
  readonly kind: UnreachableKind
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

/**
 * What the CLI wrote to stdout or stderr was lost: the disk is full
 * (ENOSPC), the descriptor was closed (EBADF, or `>&-`), an I/O error (EIO).
 * A reader that has gone (EPIPE) is not this: it chose to stop reading.
 */
export class OutputLost extends Data.TaggedError("OutputLost")<{
  readonly stream: "stdout" | "stderr"
  /** The system's code: `ENOSPC`, `EBADF`, `EIO`, … */
  readonly code: string
  readonly reason: string
}> {
  override get message() {
    return `could not write to ${this.stream}: ${this.reason} (${this.code}); what was written there is lost`
  }
}

/** Why a deploy's archive could not be built: the folder, or a file in it. */
export type ArchiveError = InvalidFolder | UnzippableFile

/** Every failure a user can cause or meet, each with its own exit code. */
export type FaztError =
  | UsageError
  | InvalidPeerName
  | InvalidPeerUrl
  | InvalidInput
  | InvalidToken
  | InvalidFolder
  | UnzippableFile
  | BuildFailed
  | ListenFailed
  | NodeAlreadyRunning
  | PlainHttpRefused
  | UnusableToken
  | PeerNotFound
  | PeerAlreadyExists
  | NoPeers
  | NoDefaultPeer
  | DatabaseError
  | OutputLost
  | PeerCallError
