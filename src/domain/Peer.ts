import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { InvalidPeerName, InvalidPeerUrl } from "./errors.js"

const NAME_RULE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** Why `name` is not a valid peer/site name, or undefined when it is. */
export const nameProblem = (name: string): string | undefined => {
  if (name.length === 0) return "it is empty"
  if (name.length > 63) return "it is longer than 63 characters"
  if (!NAME_RULE.test(name)) {
    return "use lowercase letters, digits and '-', not starting or ending with '-'"
  }
  return undefined
}

/** Validates a name the user typed for a new peer. */
export const validatePeerName = (name: string): Effect.Effect<string, InvalidPeerName> => {
  const reason = nameProblem(name)
  return reason === undefined
    ? Effect.succeed(name)
    : Effect.fail(new InvalidPeerName({ value: looksLikeToken(name) ? maskToken(name) ?? "…" : name, reason }))
}

/**
 * Validates and normalises a peer URL the user typed: absolute http(s), no
 * credentials, no query or fragment, no trailing slash.
 */
export const validatePeerUrl = (input: string): Effect.Effect<string, InvalidPeerUrl> =>
  Effect.suspend(() => {
    const fail = (reason: string) => Effect.fail(new InvalidPeerUrl({ url: clip(redactUrl(clip(input, 4 * SHOWN_URL)), SHOWN_URL), reason }))
    // A URL past a few KiB is no admin address: every request would carry it (a node answers 431).
    if (input.length > MAX_URL_LENGTH) return fail(`it is longer than ${MAX_URL_LENGTH} characters`)
    // `localhost:8080`, `admin.example.com`: a host without a scheme (URL() reads `localhost:` as one).
    // Suggested whole, as curl would read it: http for this machine, https elsewhere.
    const bare = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(:\d{1,5})?(\/[^\s?#]*)?$/.exec(input)
    if (!input.includes("://") && bare !== null && (bare[2] !== undefined || bare[1]!.includes(".") || bare[1] === "localhost")) {
      const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(bare[1]!)
      return fail(`it has no scheme (did you mean ${local ? "http" : "https"}://${input}?)`)
    }
    let url: URL
    try {
      url = new URL(input)
    } catch {
      return fail("not an absolute URL (expected e.g. https://admin.example.com)")
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return fail(`scheme ${url.protocol.replace(/:$/, "")} is not supported (use http or https)`)
    }
    if (url.username !== "" || url.password !== "") {
      return fail("credentials do not belong in the URL (give the token separately)")
    }
    if (url.search !== "" || input.includes("?")) return fail("a query string is not allowed")
    if (url.hash !== "" || input.includes("#")) return fail("a fragment is not allowed")
    if (url.hostname === "") return fail("the host is missing")
    const authority = pathAuthorityProblem(url)
    if (authority !== undefined) return fail(authority)
    return Effect.succeed(url.toString().replace(/\/+$/, ""))
  })

/**
 * Why `url`'s path could be read as another host, or undefined. A path that
 * begins with `//` once normalised (`//vm:1`, `/.//vm`, `/x/..//vm`, `/\vm`) is
 * a network-path reference to any resolver that joins paths as text; curl and
 * Go's net/http never let a path change the authority, and neither do we: such
 * a URL is refused at every input route and a stored one is never contacted.
 */
export const pathAuthorityProblem = (url: URL): string | undefined =>
  url.pathname.replace(/\/+$/, "").startsWith("//")
    ? `its path '${url.pathname.slice(0, 40)}' begins with '//', which would be read as another host`
    : undefined

/** `https://host:port` of a URL (what a token is tied to), or the text itself, redacted, when it is not one. */
export const originOf = (url: string): string => {
  try {
    return new URL(url).origin
  } catch {
    return redactUrl(url)
  }
}

/** Longest peer URL accepted (at `add`, `set-url` and in an old config): an admin address, not a payload. */
export const MAX_URL_LENGTH = 2048
/** Longest description accepted: a note about the peer. */
export const MAX_DESCRIPTION_LENGTH = 500
/** How much of a refused URL an error echoes. */
const SHOWN_URL = 200
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text)

/** Longest token accepted: fazt's keys are 64 characters; a few KiB leaves room for JWTs. */
export const MAX_TOKEN_LENGTH = 4096

/**
 * Why `token` cannot be stored or sent as a Bearer token, or undefined: it must
 * be visible ASCII (no spaces, control characters or non-ASCII, which HTTP
 * headers cannot carry or which smuggle a header line).
 */
export const tokenProblem = (token: string): string | undefined => {
  if (token.length === 0) return "it is empty"
  if (token.length > MAX_TOKEN_LENGTH) return `it is longer than ${MAX_TOKEN_LENGTH} characters`
  if (!/^[\x21-\x7e]+$/.test(token)) {
    return "it may only hold visible ASCII characters (no spaces, control characters or non-ASCII)"
  }
  return undefined
}

/** Why a description typed by the user is refused, or undefined. */
/** C0, DEL, C1, line/paragraph separators and direction overrides: what a terminal acts on or reorders. */
// eslint-disable-next-line no-control-regex
export const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

export const descriptionProblem = (text: string): string | undefined => {
  if (text.length > MAX_DESCRIPTION_LENGTH) return `it is longer than ${MAX_DESCRIPTION_LENGTH} characters`
  if (UNSHOWABLE.test(text)) {
    return "it may not hold control characters, escape sequences or direction overrides"
  }
  return undefined
}

/**
 * Removes user:password from something URL-like before it is echoed back,
 * also a password holding `/` (`https://u:pa/ss@host`, which no URL parser
 * reads as a password, so the plain rule would miss it); and text that is
 * not a URL at all but looks like a token (arguments given in the wrong
 * order) is shown masked.
 */
export const redactUrl = (input: string): string => {
  if (looksLikeToken(input)) return maskToken(input) ?? "…"
  return input.replace(/\/\/([^@]*)@/, (whole, userinfo: string) => {
    const slash = userinfo.indexOf("/")
    return slash === -1 || userinfo.slice(0, slash).includes(":") ? "//***@" : whole
  })
}

/**
 * Text that is a key rather than a name or a URL: fazt's `fzt_…`, or a long
 * run of token characters with letters and digits and no `://`. Never echoed
 * whole in an error (`remote add a fzt_REAL… --token x`).
 */
export const looksLikeToken = (text: string): boolean =>
  /^fzt_[\x21-\x7e]{4,}$/.test(text) ||
  (!text.includes("://") && /^[A-Za-z0-9_\-+=.~/]{24,}$/.test(text) && /[0-9]/.test(text) && /[A-Za-z]/.test(text))

/** Every `fzt_…` key inside `text`, masked (`fzt_…e3f`): for messages that echo what was typed. */
export const maskTokensIn = (text: string): string =>
  text.includes("fzt_") ? text.replace(/fzt_[A-Za-z0-9_-]{6,}/g, (key) => maskToken(key) ?? "…") : text

/** `fzt_…e3f`: enough to tell keys apart, never enough to use one. */
export const maskToken = (secret: Redacted.Redacted<string> | string | null): string | null => {
  if (secret === null) return null
  const token = typeof secret === "string" ? secret : Redacted.value(secret)
  if (token === "") return null
  if (token.length < 12) return "…"
  const prefix = token.startsWith("fzt_") ? "fzt_" : token.slice(0, 2)
  return `${prefix}…${token.slice(-3)}`
}

export const PeerStatus = Schema.Literal("healthy", "unreachable", "unauthorized", "error")
export type PeerStatus = typeof PeerStatus.Type

/**
 * One row of the `peers` table, as fazt defines it. The token is `Redacted`:
 * printing, inspecting or `JSON.stringify` of a peer shows `<redacted>`; only
 * the transport reveals it, to build the Authorization header.
 */
export class Peer extends Schema.Class<Peer>("Peer")({
  id: Schema.String,
  name: Schema.String,
  url: Schema.String,
  token: Schema.NullOr(Schema.Redacted(Schema.String)),
  description: Schema.NullOr(Schema.String),
  isDefault: Schema.Boolean,
  lastSeenAt: Schema.NullOr(Schema.String),
  lastVersion: Schema.NullOr(Schema.String),
  lastStatus: Schema.NullOr(Schema.String),
  nodeId: Schema.NullOr(Schema.String),
  createdAt: Schema.NullOr(Schema.String),
  updatedAt: Schema.NullOr(Schema.String)
}) {
  /**
   * A peer that lives in no database: for hosts that keep their own list and
   * use `PeerClient.layerWithoutRecording`. The URL is used as given.
   */
  static at(peer: { readonly name: string; readonly url: string; readonly token?: Redacted.Redacted<string> | null }): Peer {
    return new Peer({
      id: peer.name,
      name: peer.name,
      url: peer.url,
      token: peer.token ?? null,
      description: null,
      isDefault: false,
      lastSeenAt: null,
      lastVersion: null,
      lastStatus: null,
      nodeId: null,
      createdAt: null,
      updatedAt: null
    })
  }
}

/**
 * fazt writes `datetime('now')` (UTC, no zone) and sometimes RFC 3339; both
 * become an ISO string, anything else is passed through untouched.
 */
export const toIsoTime = (value: string | null): string | null => {
  if (value === null || value === "") return null
  // A listing converts three times a row, and a fleet's rows share their
  // times: the last answer is kept, and `datetime('now')`'s own form is
  // rewritten as text when its fields are plainly valid (no Date needed).
  if (value === lastIso.value) return lastIso.iso
  const plain = SQLITE_SECONDS.exec(value)
  let iso: string
  if (plain !== null && plainlyValid(plain)) {
    iso = `${plain[1]}-${plain[2]}-${plain[3]}T${plain[4]}:${plain[5]}:${plain[6]}.000Z`
  } else {
    const sqlite = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?)$/.exec(value)
    const parsed = sqlite ? Date.parse(`${sqlite[1]}T${sqlite[2]}Z`) : Date.parse(value)
    iso = Number.isNaN(parsed) ? value : new Date(parsed).toISOString()
  }
  lastIso.value = value
  lastIso.iso = iso
  return iso
}

const lastIso = { value: "", iso: "" }
const SQLITE_SECONDS = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)$/
/** Month 1–12, a day that month has, hours below 24, minutes and seconds below 60, a year Date prints as four digits. */
const plainlyValid = (m: RegExpExecArray): boolean => {
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || year < 1) return false
  const days = month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31
  return day <= days && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 60
}

/** What listings show and `--json` prints for a peer: the token masked. */
export const PeerView = Schema.Struct({
  name: Schema.String,
  url: Schema.String,
  description: Schema.NullOr(Schema.String),
  is_default: Schema.Boolean,
  token: Schema.NullOr(Schema.String),
  last_status: Schema.NullOr(Schema.String),
  last_version: Schema.NullOr(Schema.String),
  last_seen_at: Schema.NullOr(Schema.String),
  created_at: Schema.NullOr(Schema.String),
  updated_at: Schema.NullOr(Schema.String),
  /** Why the row cannot be used as stored (a URL or token another tool wrote), or null. */
  problem: Schema.NullOr(Schema.String)
})
export type PeerView = typeof PeerView.Type

/**
 * Whether a peer's URL and token can be used for a request, judged once for
 * both places that ask: the transport before it sends (HttpTransport's
 * `send`, as typed errors) and the listing's `problem` column (`peerProblem`).
 */
export type PeerUsability =
  | { readonly _tag: "Usable"; readonly url: URL; readonly token: string }
  | { readonly _tag: "UnusableUrl"; readonly reason: string; readonly notHttp: boolean }
  | { readonly _tag: "UnusableToken"; readonly reason: string }

export const peerUsability = (peer: Pick<Peer, "url" | "token">): PeerUsability => {
  let url: URL
  try {
    url = new URL(peer.url)
  } catch {
    return { _tag: "UnusableUrl", reason: "not an absolute URL", notHttp: true }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { _tag: "UnusableUrl", reason: "not an http(s) URL", notHttp: true }
  const authority = pathAuthorityProblem(url)
  if (authority !== undefined) return { _tag: "UnusableUrl", reason: authority, notHttp: false }
  // A peer built by hand in JavaScript may carry plain text: unusable (a typed error), not a defect.
  if (peer.token != null && !Redacted.isRedacted(peer.token)) return { _tag: "UnusableToken", reason: notRedacted(peer.token) }
  const token = peer.token == null ? "" : Redacted.value(peer.token)
  const badToken = token === "" ? undefined : tokenProblem(token)
  if (badToken !== undefined) return { _tag: "UnusableToken", reason: badToken }
  return { _tag: "Usable", url, token }
}

/**
 * Why a stored row cannot be used to reach its peer, or null. Such a row is
 * still listed (marked) and can be fixed (a new URL or token) or removed.
 */
export const peerProblem = (peer: Pick<Peer, "url" | "token">): string | null => {
  const usability = peerUsability(peer)
  switch (usability._tag) {
    case "Usable":
      return null
    case "UnusableUrl":
      return usability.notHttp ? "its URL is not an http(s) URL" : `its URL cannot be used: ${usability.reason}`
    case "UnusableToken":
      return `its token cannot be sent: ${usability.reason}`
  }
}

export const viewPeer = (peer: Peer, showToken = false): PeerView => ({
  name: peer.name,
  // Another tool may have stored a URL with a password: never printed.
  url: redactUrl(peer.url),
  description: peer.description,
  is_default: peer.isDefault,
  token: showToken ? (peer.token === null ? null : Redacted.value(peer.token)) : maskToken(peer.token),
  last_status: peer.lastStatus,
  last_version: peer.lastVersion,
  last_seen_at: toIsoTime(peer.lastSeenAt),
  created_at: toIsoTime(peer.createdAt),
  updated_at: toIsoTime(peer.updatedAt),
  problem: peerProblem(peer)
})

/** Why a token that is not `Redacted` is refused (a JavaScript caller passed plain text), without echoing it. */
export const notRedacted = (token: unknown): string =>
  `it is ${typeof token === "string" ? "plain text" : `a ${typeof token}`}: pass it as Redacted.make(token) (effect/Redacted), so it never prints`
