// The node in this process, for tests against its router: a real SQLite file
// in a temp folder, the node's migrations, and Node's HTTP server on
// 127.0.0.1 with an HttpClient pointed at it (what NodeHttpServer.layerTest
// does, but on loopback only).
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { createServer } from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { nodeMigrations } from "../../src/migrations/index.js"
import { Database } from "../../src/services/db/Database.js"
import { NodeKeys } from "../../src/services/node/NodeKeys.js"
import * as NodeServer from "../../src/services/node/NodeServer.js"
import { NodeSites } from "../../src/services/node/NodeSites.js"

export const tempFolder = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "fazt-node-"))

export const testOptions = (overrides: Partial<NodeServer.NodeOptions> = {}): NodeServer.NodeOptions => ({
  version: "0.0.0-test",
  maxUploadBytes: 10 * 1024 * 1024,
  deploysPerMinute: 5,
  maxUnpackedBytes: 64 * 1024 * 1024,
  maxFileBytes: 32 * 1024 * 1024,
  maxFiles: 1000,
  uploadDir: tempFolder(),
  ...overrides
})

/** The node's database and services, as `fazt server start` composes them. */
export const nodeServices = (filename: string, keys: Layer.Layer<NodeKeys, never, Database> = NodeKeys.layer) =>
  Layer.mergeAll(keys, NodeSites.layer).pipe(Layer.provideMerge(Database.layer({ filename, migrations: nodeMigrations })))

const loopbackServer = NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" })

const testClient = HttpServer.layerTestClient.pipe(
  Layer.provide(NodeHttpClient.layerWithoutAgent),
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: false }))
)

/** The node served in-process; the HttpClient it provides prepends the node's URL. */
export const nodeInProcess = (
  filename: string,
  options: NodeServer.NodeOptions = testOptions(),
  keys?: Layer.Layer<NodeKeys, never, Database>
) =>
  NodeServer.layer(options).pipe(
    Layer.provideMerge(testClient),
    Layer.provideMerge(loopbackServer),
    Layer.provideMerge(nodeServices(filename, keys))
  )
