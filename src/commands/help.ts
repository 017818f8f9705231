import { allCommands, type CommandSpec, type FlagSpec, globalFlagsFor, VERB_ALIASES } from "./spec.js"
import { BUILTIN_FLAGS } from "./usage.js"

// Short aliases first (`-h, --help`), longer ones after the name (`--description, --desc`).
const flagLabel = (f: FlagSpec) =>
  [...f.aliases.filter((a) => !a.startsWith("--")), f.name, ...f.aliases.filter((a) => a.startsWith("--"))].join(", ") +
  (f.takesValue ? ` ${f.placeholder}` : "")

const flagText = (f: FlagSpec) => {
  const choices = f.choices.length > 0 && !f.choices.some((c) => f.description.includes(c)) ? ` (${f.choices.join(", ")})` : ""
  const fallback = f.defaultValue !== undefined && !/\(default/.test(f.description) ? ` (default: ${f.defaultValue})` : ""
  return f.description + choices + fallback + (f.required === true ? " (required)" : "")
}

/** Two columns, one entry a line: the label, then its text. */
const columns = (rows: ReadonlyArray<readonly [string, string]>): Array<string> => {
  const width = Math.max(...rows.map(([label]) => label.length))
  return rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`.trimEnd())
}

const section = (title: string, lines: ReadonlyArray<string>) => (lines.length === 0 ? [] : ["", `${title}:`, ...lines])

const usageLine = (command: CommandSpec): string => {
  const args = command.args.map((a) => (a.optional ? `[<${a.name}>]` : `<${a.name}>`))
  const parts = [command.path.join(" ")]
  if (command.children.length > 0) parts.push("[command]")
  parts.push(...args)
  if (command.flags.length > 0) parts.push("[flags]")
  return parts.filter((p) => p !== "").join(" ")
}

/**
 * Help of one command, rendered from the command tree: its full path, what
 * it does, one line per argument and flag (with the default), the global
 * flags that apply to it, its subcommands and an example.
 */
export const renderHelp = (root: CommandSpec, command: CommandSpec): string => {
  const title = command.path.join(" ")
  const lines = [`${title} — ${command.summary}`, "", "Usage:", `  ${usageLine(command)}`]
  if (command.children.length > 0) {
    const groups = command.children.length > 0 && command.children.some((c) => c.children.length > 0)
    const entries = groups
      ? command.children.flatMap((c) => [c, ...allCommands(c).slice(1)])
      : command.children
    lines.push(...section("Commands", columns(entries.map((c) => [
      c.path.slice(command.path.length).join(" ") + (c.aliases.length > 0 ? ` (${c.aliases.join(", ")})` : ""),
      c.summary.split("\n")[0]!
    ]))))
  }
  lines.push(...section("Arguments", columns(command.args.map((a) => [a.optional ? `[<${a.name}>]` : `<${a.name}>`, a.description]))))
  const rows = (flags: ReadonlyArray<FlagSpec>) => columns(flags.map((f) => [flagLabel(f), flagText(f)]))
  if (command === root) {
    lines.push(...section("Flags (before or after any command)", rows([...root.flags, ...BUILTIN_FLAGS])))
  } else {
    lines.push(...section("Flags", rows(command.flags)))
    const help = BUILTIN_FLAGS.filter((f) => f.name === "--help")
    lines.push(...section("Global flags", rows([...globalFlagsFor(root, command), ...help])))
  }
  const habits = Object.entries(VERB_ALIASES).filter(([, a]) => a.parent === command.name && a.to === null)
  if (habits.length > 0) lines.push("", `Also: ${habits.map(([alias]) => `${title} ${alias}`).join(", ")}`)
  if (command.example !== undefined) lines.push("", "Example:", ...command.example.split("\n").map((l) => `  ${l}`))
  if (command.children.length > 0) lines.push("", `Run '${title} <command> --help' for the flags of each command.`)
  return lines.join("\n")
}
