import * as net from "node:net"

/**
 * A TCP server on 127.0.0.1 that answers every HTTP request with the exact
 * bytes `answer` returns: for answers Node's own HTTP server refuses to send
 * (oversized headers, broken Content-Length). Counts the connections.
 */
export const rawPeer = async (answer: (request: string) => string | Buffer) => {
  const sockets = new Set<net.Socket>()
  let connections = 0
  const server = net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => {})
    let head = ""
    socket.on("data", (chunk) => {
      head += chunk.toString("latin1")
      if (!head.includes("\r\n\r\n")) return
      socket.end(answer(head))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
