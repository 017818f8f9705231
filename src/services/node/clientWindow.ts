/**
 * Per-client counts of recent events (deploys, wrong API keys) over a
 * sliding window, in bounded memory. A client whose events have all left the
 * window is forgotten; past `maxClients` the client seen least recently is
 * dropped first, so a flood of addresses can neither grow the map without
 * bound nor wipe everyone's count at once.
 */
export interface ClientWindow {
  /** Seconds until `client` may act again, or undefined while under the limit. */
  readonly retryAfter: (client: string, now?: number) => number | undefined
  /** Counts one event of `client`; answers its time, for `cancel`. */
  readonly record: (client: string, now?: number) => number
  /** Uncounts the event of `client` recorded at `at` (a deploy that did not succeed). */
  readonly cancel: (client: string, at: number) => void
  /** Clients remembered now. */
  readonly size: () => number
}

export const makeClientWindow = (options: {
  readonly limit: number
  readonly windowMs: number
  readonly maxClients: number
}): ClientWindow => {
  const { limit, windowMs, maxClients } = options
  // Insertion order is the order of each client's latest event (a record moves
  // its client to the end), so expired clients gather at the front.
  const events = new Map<string, Array<number>>()

  const live = (client: string, now: number): Array<number> => {
    const list = events.get(client)
    if (list === undefined) return []
    const kept = list.filter((t) => now - t < windowMs)
    if (kept.length === 0) events.delete(client)
    else if (kept.length !== list.length) events.set(client, kept)
    return kept
  }

  const forget = (now: number) => {
    for (const [client, list] of events) {
      if (now - list[list.length - 1]! < windowMs) break
      events.delete(client)
    }
    for (const client of events.keys()) {
      if (events.size <= maxClients) break
      events.delete(client)
    }
  }

  return {
    retryAfter: (client, now = Date.now()) => {
      const list = live(client, now)
      if (list.length < limit) return undefined
      return Math.max(1, Math.ceil((list[list.length - limit]! + windowMs - now) / 1000))
    },
    record: (client, now = Date.now()) => {
      const list = [...live(client, now), now].slice(-limit)
      events.delete(client)
      events.set(client, list)
      forget(now)
      return now
    },
    cancel: (client, at) => {
      const list = events.get(client)
      const i = list?.lastIndexOf(at) ?? -1
      if (list === undefined || i === -1) return
      list.splice(i, 1)
      if (list.length === 0) events.delete(client)
    },
    size: () => events.size
  }
}
