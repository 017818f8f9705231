import * as fs from "node:fs"

/**
 * How many peers `status --all` asks at once: as many as the process's open
 * file limit leaves room for. Each peer in flight holds one socket; the rest
 * of the limit (the database, its WAL, stdio, Node's own descriptors, a margin
 * for the DNS resolver and the thread pool) is kept back. Node has no
 * getrlimit, so the soft limit is read from /proc/self/limits (Linux); where
 * that file does not exist (macOS, Windows), the long-standing default of
 * 256 descriptors is assumed. Measured (docs/PERFORMANCE.md): with a cap of
 * 128, 1,000 peers answering in 200 ms took +1.95 s over one; uncapped, +0.4 s.
 */
const RESERVED = 64
const FALLBACK_LIMIT = 256
/** Beyond this, more sockets at once gain nothing a fleet of that size would notice. */
const CEILING = 4096

export const openFileLimit = (read: () => string = () => fs.readFileSync("/proc/self/limits", "latin1")): number => {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(read())
    if (line === null) return FALLBACK_LIMIT
    const soft = line[1] === "unlimited" ? Infinity : Number(line[1])
    return Number.isFinite(soft) || soft === Infinity ? soft : FALLBACK_LIMIT
  } catch {
    return FALLBACK_LIMIT
  }
}

/** Peers asked at once for a descriptor limit of `limit`: at least 16, at most 4,096. */
export const concurrencyFor = (limit: number): number =>
  Math.max(16, Math.min(CEILING, Math.floor((Number.isNaN(limit) ? FALLBACK_LIMIT : limit) - RESERVED)))

/** Read once, when `status --all` first asks. */
export const fleetConcurrency = (): number => concurrencyFor(openFileLimit())
