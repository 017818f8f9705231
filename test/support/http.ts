import * as http from "node:http"

/** GET a deployed site the way a browser would reach `http://<site>.localhost:<port>/`. */
export const getSite = (port: number, site: string, pathname: string) =>
  new Promise<{ status: number; type: string | undefined; body: Buffer }>((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: pathname, headers: { host: `${site}.localhost:${port}` } }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body: Buffer.concat(chunks) }))
    })
    req.on("error", reject)
  })

/**
 * A resolver (`lookup`) that fails every name as a missing one does (ENOTFOUND)
 * and notes each name asked: no DNS server is ever asked.
 */
export const failingLookup = (lookedUp: Array<string>) =>
  ((hostname: string, _options: unknown, callback: (err: NodeJS.ErrnoException) => void) => {
    lookedUp.push(hostname)
    const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
    error.code = "ENOTFOUND"
    process.nextTick(() => callback(error))
  }) as never
