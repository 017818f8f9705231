/** Hosts where plain http never leaves the machine. */
export const isLoopbackHost = (hostname: string): boolean => {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase()
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/** `--retries` above this is refused: with the backoff cap, 10 retries wait about a minute at most between attempts. */
export const MAX_RETRIES = 10

/** No single wait between attempts is longer than this, whatever the exponent says. */
export const MAX_BACKOFF_MILLIS = 10_000

/** A `Retry-After` longer than this is not waited for: the command fails at once, naming the wait. */
export const MAX_RETRY_AFTER_MILLIS = 30_000
