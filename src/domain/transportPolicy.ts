/** Hosts where plain http never leaves the machine. */
export const isLoopbackHost = (hostname: string): boolean => {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase()
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h)
}
