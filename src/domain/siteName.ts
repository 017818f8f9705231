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
