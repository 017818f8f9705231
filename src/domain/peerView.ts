// The listing's view of a stored row, made without building a `Peer` (issue
// 26: 10,000 rows, each a Schema class instance, a `Redacted` in effect's
// registry, a `new URL` and two regular expressions, cost ~3× the plain-Node
// floor). Not exported from the library: `PeerStore.list` still returns
// `Peer`s, and `viewPeer` stays the one public way to view one. What is
// decided here is decided by the same rules (`peerProblem`, `redactUrl`,
// `maskToken`, `toIsoTime`); only the common case is recognised first, and
// test/domain/peerView.test.ts holds both paths to the same answers.
import * as Redacted from "effect/Redacted"
import { maskToken, peerProblem, type PeerView, redactUrl, tokenProblem, toIsoTime } from "./Peer.js"

/**
 * A URL that is plainly an absolute http(s) address `new URL` accepts as it
 * is, with nothing a reader of the listing must be protected from: lowercase
 * scheme and host, a host of DNS labels whose last begins with a letter (a
 * last label of digits, or `0x…`, makes WHATWG read the host as IPv4) and
 * none an IDNA `xn--` label (its punycode may be refused), or a dotted IPv4
 * address in canonical form; a port 1–65535 without leading zeros; a path of
 * unreserved characters whose segments are never empty, `.` or `..` (so it
 * cannot begin with `//` once normalised). No userinfo (`@`), query,
 * fragment, backslash, percent sign, space or non-ASCII. Anything else is
 * judged by `new URL` as before.
 */
export const PLAIN_HTTP_URL = new RegExp(
  "^https?://" +
    "(?:" +
    "(?:(?!xn--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)*(?!xn--)[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?" +
    "|" +
    "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}" +
    ")" +
    "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?" +
    "(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?$"
)

/**
 * `peerProblem` of a stored URL and token text: null at once for a plain
 * URL and a token HTTP can carry (or none), else `peerProblem` itself.
 */
export const storedProblem = (url: string, token: string | null, plainUrl = PLAIN_HTTP_URL.test(url)): string | null =>
  plainUrl && (token === null || token === "" || tokenProblem(token) === undefined)
    ? null
    : peerProblem({ url, token: token === null ? null : Redacted.make(token) })

/** A row's fields as `PeerStore` reads them (the token as stored text). */
export interface StoredPeer {
  readonly name: string
  readonly url: string
  readonly token: string | null
  readonly description: string | null
  readonly isDefault: boolean
  readonly lastSeenAt: string | null
  readonly lastVersion: string | null
  readonly lastStatus: string | null
  readonly createdAt: string | null
  readonly updatedAt: string | null
}

/** `viewPeer(peer)` (token masked) of the `Peer` these fields would make: the same keys, in the same order. */
export const viewStored = (peer: StoredPeer): PeerView => {
  const plainUrl = PLAIN_HTTP_URL.test(peer.url)
  return {
    name: peer.name,
    // A plain URL holds no userinfo and is not a token: `redactUrl` would return it as it is.
    url: plainUrl ? peer.url : redactUrl(peer.url),
    description: peer.description,
    is_default: peer.isDefault,
    token: maskToken(peer.token),
    last_status: peer.lastStatus,
    last_version: peer.lastVersion,
    last_seen_at: toIsoTime(peer.lastSeenAt),
    created_at: toIsoTime(peer.createdAt),
    updated_at: toIsoTime(peer.updatedAt),
    problem: storedProblem(peer.url, peer.token, plainUrl)
  }
}
