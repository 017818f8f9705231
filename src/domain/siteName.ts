import { nameProblem } from "./Peer.js"

// Site names, shared by the client (deploy) and the node; kept apart from
// node.ts so a library host loads none of the node's code.

/** Sub-domains a fazt node keeps for itself (`admin`: the local node's API host, as fazt's dashboard). */
export const RESERVED_SITE_NAMES: ReadonlySet<string> = new Set([
  "www", "api", "mail", "ftp", "smtp", "pop", "imap", "ns1", "ns2", "localhost", "admin"
])

/** Why `name` cannot be a site, or undefined when it can. */
export const siteNameProblem = (name: string): string | undefined =>
  nameProblem(name) ?? (RESERVED_SITE_NAMES.has(name) ? `'${name}' is reserved` : undefined)

/**
 * The domain a peer serves its sites under, when its URL tells: `zyt.app`
 * for `https://admin.zyt.app`, `localhost` for a node on this machine.
 */
export const peerDomain = (peerUrl: string): string | undefined => {
  let url: URL
  try {
    url = new URL(peerUrl)
  } catch {
    return undefined
  }
  const host = url.hostname.toLowerCase()
  if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") return "localhost"
  return /^admin\.(.+)$/.exec(host)?.[1]
}

/**
 * The site name a node takes from what was typed. fazt's deploy handler
 * strips its own domain (`internal/handlers/deploy.go`, "Smart Domain
 * Handling": `blog.zyt.app` → `blog`, compared case-insensitively); the
 * same is done here when the peer's URL names that domain, so the name is
 * checked before the upload. With the domain unknown (or only guessed:
 * `localhost` for a node on this machine), a dotted name goes as typed, for
 * the node to strip or refuse; only its first label is checked.
 */
export const siteNameFor = (typed: string, peerUrl: string): { readonly site: string; readonly problem: string | undefined } => {
  const domain = peerDomain(peerUrl)
  const suffix = domain === undefined ? undefined : `.${domain}`
  if (suffix !== undefined && typed.toLowerCase().endsWith(suffix) && typed.length > suffix.length) {
    const site = typed.slice(0, typed.length - suffix.length)
    return { site, problem: siteNameProblem(site) }
  }
  // A node on this machine may also be a production node reached through a tunnel: its domain is a guess.
  const sure = domain !== undefined && domain !== "localhost"
  if (!sure && typed.includes(".")) {
    const label = typed.slice(0, typed.indexOf("."))
    return { site: typed, problem: siteNameProblem(label) }
  }
  const problem = siteNameProblem(typed)
  return {
    site: typed,
    problem: problem !== undefined && suffix !== undefined && typed.includes(".")
      ? `${problem} (a full name must end in .${domain}, the peer's domain)`
      : problem
  }
}
