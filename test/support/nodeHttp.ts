// Black-box helpers for tests of `fazt server start`: a node with a key,
// requests with any Host and headers, raw bytes on a socket, deploys of
// hand-made archives.
import Sqlite from "better-sqlite3"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { runFazt, tempHome } from "./cli.js"
import { startNode } from "./node.js"
import { handMadeZip } from "./zip.js"

/** A node with one API key made by `create-key`; `cleanups` gets its stop. */
export const nodeWithKey = async (
  cleanups: Array<() => Promise<unknown>>,
  args: ReadonlyArray<string> = [],
  env: Record<string, string> = {},
  options: { readonly db?: string; readonly home?: string } = {}
) => {
  const home = options.home ?? tempHome()
  const db = options.db ?? path.join(home, "node.db")
  const made = await runFazt(["server", "create-key", "--name", "test", "--db", db], { home })
  if (made.code !== 0) throw new Error(`create-key failed: ${made.stderr}`)
  const token = made.stdout.trim()
  const node = await startNode({ db, home, args, env })
  cleanups.push(() => node.stop())
  return { home, db, token, node }
}

export interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One request on a fresh connection; `host` sets the Host header. */
export const request = (
  port: number,
  options: {
    readonly method?: string
    readonly path: string
    readonly host?: string
    readonly token?: string
    readonly headers?: Record<string, string>
    readonly body?: string | Buffer
    /** Default: a fresh connection (no agent). */
    readonly agent?: http.Agent
  }
) =>
  new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path,
        agent: options.agent ?? false,
        headers: {
          ...(options.host !== undefined ? { host: options.host } : {}),
          ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers
        }
      },
      (res) => {
        let body = ""
        res.setEncoding("utf8").on("data", (c: string) => (body += c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      }
    )
    req.on("error", reject)
    req.end(options.body)
  })

/** Sends raw bytes and returns everything the node answers before it closes (or 2 s pass). */
export const raw = (port: number, bytes: string | Buffer, waitMs = 2000) =>
  new Promise<string>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes))
    let out = ""
    socket.setEncoding("latin1").on("data", (d: string) => (out += d))
    socket.on("close", () => resolve(out))
    socket.on("error", () => undefined)
    setTimeout(() => socket.end(), waitMs)
  })

/** The status code of a raw answer ("HTTP/1.1 400 …"), or 0 for none. */
export const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)

/** A deploy form as fazt's CLI posts it, with the archive given as bytes. */
export const deployZip = async (
  url: string,
  token: string,
  site: string,
  zip: Buffer,
  fields: Record<string, string> = {},
  filename = `${site}.zip`,
  headers: Record<string, string> = {}
) => {
  const form = new FormData()
  form.set("site_name", site)
  for (const [k, v] of Object.entries(fields)) form.set(k, v)
  form.set("file", new Blob([zip], { type: "application/zip" }), filename)
  const res = await fetch(`${url}/api/deploy`, { method: "POST", headers: { authorization: `Bearer ${token}`, ...headers }, body: form })
  const text = await res.text()
  let body: { data?: Record<string, unknown>; error?: { code: string; message: string } } = {}
  try {
    body = JSON.parse(text)
  } catch {
    // a plain-text answer
  }
  return { status: res.status, body, text }
}

/** Deploys `files` (path → content) as a zip. */
export const deployFiles = (url: string, token: string, site: string, files: Record<string, string | Buffer>, fields: Record<string, string> = {}) =>
  deployZip(url, token, site, handMadeZip(Object.entries(files).map(([name, content]) => ({ name, content }))), fields)

/** GET a path on `<site>.localhost`. */
export const getOnSite = (port: number, site: string, pathname: string, headers: Record<string, string> = {}) =>
  request(port, { path: pathname, host: `${site}.localhost:${port}`, headers })

/** A site folder with these files (paths may have folders) under `root`. */
export const siteFolder = (root: string, name: string, files: Record<string, string | Buffer>) => {
  const dir = path.join(root, name)
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), content)
  }
  return dir
}

/** A client HOME whose only peer, `local`, is the node at `url` with `token`. */
export const clientFor = async (url: string, token: string) => {
  const client = tempHome()
  await runFazt(["remote", "add", "local", url, "--token-stdin"], { home: client, stdin: token })
  return client
}

/** A write another program makes to the node's database (sqlite3 at a shell). */
export const writeTo = (db: string, sql: string) => {
  const handle = new Sqlite(db)
  try {
    handle.prepare(sql).run()
  } finally {
    handle.close()
  }
}
