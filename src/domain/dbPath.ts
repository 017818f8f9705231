/**
 * Why a database path given by `--db` or the environment (`FAZT_DB`) cannot
 * be used, or undefined. The flag and the variables are judged alike: an
 * empty or blank value, SQLite's `:memory:` (which keeps nothing, so every
 * change would be lost) and control characters (a newline pasted in) are
 * refused before anything is opened or created.
 */
export const dbPathProblem = (value: string): string | undefined => {
  if (value.trim() === "") return "it is empty: give the path of a database file"
  if (value.trim() === ":memory:") return "':memory:' is SQLite's in-memory database, which keeps nothing: give the path of a database file"
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return "it holds a control character (a newline?): give the path of a database file"
  return undefined
}
