import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
}

/** What the scripted peer does with one request. */
export type Reply = (req: http.IncomingMessage, res: http.ServerResponse) => void

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => (_req, res) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify(body))
}

export const raw = (status: number, body: string, headers: Record<string, string> = {}): Reply => (_req, res) => {
  res.writeHead(status, headers)
  res.end(body)
}

/** Never answers (until the server closes). */
export const hang: Reply = () => {}

export const HEALTHY = {
  data: {
    status: "healthy",
    uptime_seconds: 345_661,
    version: "0.29.0",
    mode: "production",
    memory: { used_mb: 42.5, limit_mb: 1024, vfs_cache_mb: 3 },
    database: { path: "/var/lib/fazt/data.db", open_connections: 2, in_use: 0 },
    runtime: { queued_events: 0, goroutines: 17 },
    some_future_field: { nested: true }
  }
}

/**
 * An HTTP server on 127.0.0.1 that records every request it is sent (so tests
 * can count attempts and inspect headers) and hands it to `handle`. `close`
 * also cuts open connections, so a hanging reply cannot keep a test alive.
 */
export const loopbackServer = async (handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) => {
  const seen: Array<SeenRequest> = []
  const sockets = new Set<import("node:net").Socket>()
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers })
    handle(req, res)
  })
  server.on("connection", (s) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/**
 * A fazt-like server on 127.0.0.1 that answers from a script: reply i for
 * request i, the last reply for every request after that.
 */
export const scriptedPeer = async (script: ReadonlyArray<Reply>) => {
  let count = 0
  return loopbackServer((req, res) => {
    req.resume()
    script[Math.min(count++, script.length - 1)]!(req, res)
  })
}

/** A port nothing listens on (bound, then released). */
export const closedPort = async (): Promise<number> => {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
