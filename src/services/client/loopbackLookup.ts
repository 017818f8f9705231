import * as dns from "node:dns"
import type { LookupFunction } from "node:net"

const LOCALHOST = /(^|\.)localhost\.?$/i

/**
 * Name resolution for peer connections: `localhost` and every `*.localhost`
 * reach the loopback addresses without asking DNS, as browsers do (RFC 6761
 * §6.3). Such names count as loopback for tokens over plain http
 * (`isLoopbackHost`), so they must never resolve anywhere else; a system
 * resolver would send `x.localhost` to the network's DNS server.
 */
export const loopbackLookup: LookupFunction = (hostname, options, callback) => {
  if (!LOCALHOST.test(hostname)) return dns.lookup(hostname, options, callback)
  const v4 = { address: "127.0.0.1", family: 4 }
  const v6 = { address: "::1", family: 6 }
  const addresses = options.family === 6 ? [v6] : options.family === 4 ? [v4] : [v4, v6]
  const reply = callback as (err: NodeJS.ErrnoException | null, address: string | Array<dns.LookupAddress>, family?: number) => void
  process.nextTick(() => (options.all ? reply(null, addresses) : reply(null, addresses[0]!.address, addresses[0]!.family)))
}
