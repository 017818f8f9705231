import * as Duration from "effect/Duration"

/**
 * How a wait reads in a message, the same wherever one is shown (a retry's
 * "retrying in 2 s", a Retry-After refused as too long): `250 ms` under a
 * second, `90 s` under two minutes, `3 min` under three hours, then `4 h`;
 * `for ever` for an infinite one.
 */
export const formatWait = (wait: Duration.Duration): string => {
  const ms = Duration.toMillis(wait)
  if (!Number.isFinite(ms)) return "for ever"
  if (ms < 1000) return `${Math.round(ms)} ms`
  const seconds = Math.round(ms / 1000)
  if (seconds < 120) return `${seconds} s`
  if (seconds < 10_800) return `${Math.round(seconds / 60)} min`
  return `${Math.round(seconds / 3600)} h`
}
