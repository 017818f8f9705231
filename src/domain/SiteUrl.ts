/**
 * Where a deployed site is served, from the peer's admin URL and the site name.
 *
 * - A production fazt node answers its admin API at `admin.<domain>` and each
 *   site at `<site>.<domain>` (fazt v0.29.0 `cmd/server/main.go`, host
 *   routing): `https://admin.example.com` → `https://<site>.example.com/`.
 * - A node on this machine (127.0.0.1, localhost, [::1]) on port P serves
 *   sites at `http://<site>.localhost:P/` (fazt's local mode, and our own
 *   `fazt server start`).
 * - Anything else (an IP address, a host without `admin.`, a path prefix):
 *   `null`, since guessing would print a wrong address.
 */
export const siteUrl = (peerUrl: string, site: string): string | null => {
  let url: URL
  try {
    url = new URL(peerUrl)
  } catch {
    return null
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null
  if (url.pathname.replace(/\/+$/, "") !== "") return null
  const host = url.hostname.toLowerCase()
  if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") {
    const port = url.port === "" ? "" : `:${url.port}`
    return `http://${site}.localhost${port}/`
  }
  const domain = /^admin\.(.+)$/.exec(host)?.[1]
  if (domain === undefined) return null
  // A node reached on its own port keeps it (and its scheme); the usual case is https on 443.
  const port = url.port === "" ? "" : `:${url.port}`
  return `${url.protocol}//${site}.${domain}${port}/`
}
