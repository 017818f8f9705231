import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as os from "node:os"

/**
 * The user's home folder: `HOME` read through Effect `Config` (so tests and
 * embedding programs can set it), else the account's home as the OS knows it.
 * The one place fazt remote computes it.
 */
export const homeDirectory: Config.Config<string> = Config.nonEmptyString("HOME").pipe(
  Config.orElseIf({ if: ConfigError.isMissingDataOnly, orElse: () => Config.sync(() => os.homedir()) })
)
