import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as fs from "node:fs"
import { createServer } from "node:http"
import * as path from "node:path"
import { FaztRemote, Peer, PeerClient } from "../../src/index.js"
import { tempHome } from "../support/cli.js"
import { HEALTHY } from "../support/scriptedPeer.js"

// The client against a fake fazt peer in this same process: fazt's routes on
// @effect/platform's HttpRouter, behind an API-key check as fazt's own
// (cmd/server/main.go answers a missing or wrong key 401 with its error
// envelope). Served by NodeHttpServer on 127.0.0.1 and a random port: the
// parts of `NodeHttpServer.layerTest`, bound to loopback (layerTest listens on
// every interface) and without its HttpClient, which would prefix our
// absolute URLs with the server's.

const KEY = "fzt_router_test_key_0123456789abc"

const failure = (status: number, code: string, message: string) =>
  HttpServerResponse.unsafeJson({ error: { code, message } }, { status })

const requireKey = HttpMiddleware.make((app) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const authorization = request.headers["authorization"]
    if (authorization === undefined) return failure(401, "UNAUTHORIZED", "API key required")
    if (authorization !== `Bearer ${KEY}`) return failure(401, "INVALID_API_KEY", "Invalid API key")
    return yield* app
  })
)

const Command = Schema.Struct({ command: Schema.String, args: Schema.Array(Schema.String) })

/** What reached the fake peer, and how many health checks it answers 503 before it is healthy. */
interface PeerState {
  readonly seen: Array<string>
  busyFor: number
}

const fakePeer = (state: PeerState) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/api/system/health",
      Effect.sync(() =>
        state.busyFor-- > 0 ? failure(503, "BUSY", "starting up") : HttpServerResponse.unsafeJson(HEALTHY)
      )
    ),
    HttpRouter.post(
      "/api/cmd",
      HttpServerRequest.schemaBodyJson(Command).pipe(
        Effect.map(({ args, command }) =>
          command === "app" && args[0] === "list"
            ? HttpServerResponse.unsafeJson({
              data: { success: true, data: [{ id: "app_00000001", title: "blog", visibility: "public", aliases: ["blog"] }] }
            })
            : HttpServerResponse.unsafeJson({ data: { success: false, error: `unknown command ${command}` } })
        ),
        Effect.orElseSucceed(() => failure(400, "BAD_REQUEST", "invalid request body"))
      )
    ),
    HttpRouter.post(
      "/api/deploy",
      Effect.gen(function* () {
        const body = Buffer.from(yield* (yield* HttpServerRequest.HttpServerRequest).arrayBuffer).toString("latin1")
        const site = /name="site_name"\r\n\r\n([^\r]*)\r\n/.exec(body)?.[1]
        if (site === undefined || !body.includes("PK\u0003\u0004")) return failure(400, "BAD_REQUEST", "site_name and a zip are required")
        return HttpServerResponse.unsafeJson({ data: { site, file_count: 1, size_bytes: body.length, message: "Deployment successful" } })
      }).pipe(Effect.orElseSucceed(() => failure(400, "BAD_REQUEST", "unreadable body")))
    ),
    HttpRouter.use(requireKey),
    HttpRouter.use(HttpMiddleware.make((app) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        state.seen.push(`${request.method} ${request.url}`)
        return app
      })
    ))
  )

/** Serves a fake peer for the test's scope; answers its URL. */
const servePeer = (state: PeerState) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      HttpServer.serve(fakePeer(state)).pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" }))
      )
    )
    return yield* HttpServer.addressWith((address) =>
      Effect.succeed(address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "")
    ).pipe(Effect.provide(context))
  })

// deployFolder takes the scanner and zip writer from its context.
const client = PeerClient.layerWithoutRecording.pipe(
  Layer.provide(FaztRemote.httpTransport({ retries: 2, backoff: "1 millis" })),
  Layer.merge(FaztRemote.siteArchive)
)
const peerAt = (url: string, key = KEY) => Peer.at({ name: "router", url, token: Redacted.make(key) })

describe("PeerClient against a router-backed fake peer in this process", () => {
  it.scopedLive("status (after one 503), apps through the command gateway, and a deploy, each with the key", () =>
    Effect.gen(function* () {
      const state: PeerState = { seen: [], busyFor: 1 }
      const peer = peerAt(yield* servePeer(state))
      const peers = yield* PeerClient

      const health = yield* peers.status(peer)
      expect(health).toMatchObject({ status: "healthy", version: "0.29.0", uptime_seconds: 345_661 })

      const apps = yield* peers.apps(peer)
      expect(apps.map((a) => [a.id, a.title, a.aliases])).toEqual([["app_00000001", "blog", ["blog"]]])

      const dir = path.join(tempHome(), "docs")
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(dir, "index.html"), "<h1>docs</h1>")
      const deployed = yield* peers.deployFolder(peer, dir)
      expect(deployed).toMatchObject({ site: "docs", message: "Deployment successful" })

      expect(state.seen).toEqual([
        "GET /api/system/health",
        "GET /api/system/health",
        "POST /api/cmd",
        "POST /api/deploy"
      ])
    }).pipe(Effect.provide(client)))

  it.scopedLive("a wrong key is answered 401 by the router's middleware: PeerUnauthorized naming the key, not retried", () =>
    Effect.gen(function* () {
      const state: PeerState = { seen: [], busyFor: 0 }
      const peer = peerAt(yield* servePeer(state), "fzt_wrong_key_wrong_key_wrong_key")
      const error = yield* Effect.flip(Effect.flatMap(PeerClient, (peers) => peers.status(peer)))
      expect(error._tag).toBe("PeerUnauthorized")
      expect(error).toMatchObject({ status: 401, code: "INVALID_API_KEY", scope: "key" })
      expect(state.seen).toEqual(["GET /api/system/health"])
    }).pipe(Effect.provide(client)))
})
