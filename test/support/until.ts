/**
 * Waits until `check()` holds, looking every 20 ms, for at most `ms`; then
 * fails naming `what`. For a condition another process brings about (a file,
 * a request seen by a scripted peer): it proves nothing by waiting a fixed time.
 */
export const until = async (what: string, check: () => boolean, ms = 30_000): Promise<void> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (check()) return
  if (check()) return
  throw new Error(`timed out after ${ms} ms waiting until ${what}`)
}
