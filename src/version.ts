/** This package's version, reported by `--version` and by the local node. */
export const VERSION = "0.1.0"
