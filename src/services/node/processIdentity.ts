import * as fs from "node:fs"
import * as os from "node:os"

/** The start time of process `pid` in clock ticks since boot (Linux /proc), or undefined. */
const startTicks = (pid: number): string | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1")
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
  } catch {
    return undefined
  }
}

/**
 * This process, as `<host>:<pid>:<start>`: what a deploy records as its writer,
 * so a later node can tell whether that writer still runs (a pid alone may
 * have been reused by another program since).
 */
export const selfIdentity = (): string => `${os.hostname()}:${process.pid}:${startTicks(process.pid) ?? ""}`

/**
 * Whether the process `identity` names may still be running. Unknown
 * (null: written before writers were recorded) is gone; a process of another
 * host cannot be checked from here and counts as running.
 */
export const identityAlive = (identity: string | null): boolean => {
  if (identity === null) return false
  const m = /^(.*):(\d+):(\d*)$/.exec(identity)
  if (!m) return false
  const [, host, pidText, start] = m
  if (host !== os.hostname()) return true
  const pid = Number(pidText)
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false
  }
  const now = startTicks(pid)
  return start === "" || now === undefined || now === start
}
