// `node --import <this file> …`: prints, on exit, every module URL the
// process resolved (ESM imports), one per line on stderr after a marker.
import { register } from "node:module"
import { MessageChannel } from "node:worker_threads"

const { port1, port2 } = new MessageChannel()
const seen = new Set()
port1.on("message", (url) => seen.add(url))
port1.unref()
register(
  "data:text/javascript," +
    encodeURIComponent(`
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  port.postMessage(resolved.url)
  return resolved
}`),
  { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] }
)
globalThis.__faztResolvedModules = seen
