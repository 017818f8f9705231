import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import { Database, resolvePath } from "../services/db/Database.js"
import { PeerStore } from "../services/client/PeerStore.js"
import { type CommandSpec, type FlagSpec, globalFlagsFor, VERB_ALIASES, verbAt } from "./spec.js"
import { BUILTIN_FLAGS } from "./usage.js"

/**
 * Shell completion. Each script is a thin shim that calls the hidden
 * `fazt __complete <shell> <cword> <words…>` (as gh and kubectl do), so one
 * engine, reading the same command tree as help, answers bash, zsh and fish,
 * and peer names come from the database the command would use.
 */
interface Candidate {
  readonly value: string
  readonly description: string
}

export interface Completion {
  readonly candidates: ReadonlyArray<Candidate>
  /** Add the peers' names (with this prefix: `@` for `fazt @name`), filtered by `current`. */
  readonly peers: "" | "@" | undefined
  /** The `--db` typed so far, so peers come from that database. */
  readonly db: string | undefined
  readonly current: string
}

const oneLine = (text: string) => {
  const line = text.split("\n")[0]!.trim()
  return line.length > 70 ? `${line.slice(0, 69)}…` : line
}

/** An argument that names a stored peer (not `add`'s new name): marked `storedPeer` where it is defined. */
const namesPeer = (command: CommandSpec, index: number) => command.args[index]?.peer === true

/** What to offer for the word at `cword`: exported for the tests, which build a command tree of their own. */
export const complete = (root: CommandSpec, words: ReadonlyArray<string>, cword: number): Completion => {
  const current = words[cword] ?? ""
  let command = root
  let positionals = 0
  let expecting: FlagSpec | undefined
  let db: string | undefined
  let afterDashes = false
  const flagsHere = () =>
    command === root
      ? [...root.flags, ...BUILTIN_FLAGS]
      : [...command.flags, ...globalFlagsFor(root, command), ...BUILTIN_FLAGS.filter((f) => f.name === "--help")]
  for (let i = 1; i < cword && i < words.length; i++) {
    const word = words[i]!
    if (expecting !== undefined) {
      if (expecting.name === "--db") db = word
      expecting = undefined
      continue
    }
    if (word === "--") {
      afterDashes = true
      continue
    }
    if (!afterDashes && word.startsWith("-") && word.length > 1) {
      const eq = word.indexOf("=")
      const name = eq > 0 ? word.slice(0, eq) : word
      const flag = [...command.flags, ...root.flags, ...BUILTIN_FLAGS].find((f) => f.name === name || f.aliases.includes(name))
      if (flag?.name === "--db" && eq > 0) db = word.slice(eq + 1)
      if (flag?.takesValue && eq < 0) expecting = flag
      continue
    }
    // `fazt @zyt status` is `fazt remote status` on zyt.
    if (command === root && word.startsWith("@")) {
      command = root.children.find((c) => c.name === "remote") ?? root
      continue
    }
    if (command.children.length > 0 && positionals === 0) {
      const steps = verbAt(command, word)
      if (steps !== undefined) {
        command = steps.at(-1) ?? command
        continue
      }
    }
    positionals++
  }
  const none = { candidates: [], peers: undefined, db, current } as const
  if (expecting !== undefined) {
    if (expecting.name === "--peer") return { ...none, peers: "" }
    return { ...none, candidates: expecting.choices.map((c) => ({ value: c, description: "" })) }
  }
  if (!afterDashes && current.startsWith("-")) {
    const flags = flagsHere().flatMap((f) => [f.name, ...f.aliases.filter((a) => a.startsWith("--"))].map((name) => ({
      value: name,
      description: oneLine(f.description)
    })))
    return { ...none, candidates: flags.filter((c) => c.value.startsWith(current)) }
  }
  if (command === root && current.startsWith("@")) return { ...none, peers: "@" }
  if (command.children.length > 0 && positionals === 0) {
    const verbs = [
      ...command.children.map((c) => ({ value: c.name, description: oneLine(c.summary) })),
      // fazt v0.29's words too (`peer`, `app`), and habits that name a verb (`rm`).
      ...Object.entries(VERB_ALIASES).flatMap(([alias, { parent, to }]) => {
        const target = to === null || parent !== command.name ? undefined : verbAt(command, alias)?.at(-1)
        return target === undefined ? [] : [{ value: alias, description: oneLine(`${target.path.slice(1).join(" ")}: ${target.summary}`) }]
      })
    ]
    return { ...none, candidates: verbs.filter((c) => c.value.startsWith(current)) }
  }
  return namesPeer(command, positionals) ? { ...none, peers: "" } : none
}

/** The lines `__complete` prints for one shell. */
const formatCandidates = (shell: string, candidates: ReadonlyArray<Candidate>): string =>
  candidates
    .map((c) =>
      shell === "zsh"
        ? `${c.value.replace(/:/g, "\\:")}${c.description === "" ? "" : `:${c.description}`}`
        : shell === "fish"
        ? `${c.value}${c.description === "" ? "" : `\t${c.description}`}`
        : c.value
    )
    .join("\n")

/** The script `fazt --completions <shell>` prints. */
export const completionScript = (shell: string): string | undefined => {
  switch (shell) {
    case "bash":
      return [
        "# fazt completion for bash: source this file, or save it as /etc/bash_completion.d/fazt",
        "_fazt() {",
        // bash splits words at `@` (it is in COMP_WORDBREAKS, as `:` and `=` are): `fazt @zyt st` arrives
        // as `fazt`, `@`, `zyt`, `st`. Words that touch in the line are joined back (as bash-completion's
        // `_get_comp_words_by_ref -n @` does). Readline keeps a leading `@` in the word it replaces (bash's
        // rl_special_prefixes), so the answers keep it: `@bravo`.
        "  local IFS=$'\\n' line=${COMP_LINE:0:COMP_POINT} pos=0 i w rest gap cword=0",
        "  local -a words=()",
        "  for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do",
        "    w=${COMP_WORDS[i]}",
        "    rest=${line:pos}",
        "    gap=${rest%%[![:space:]]*}",
        "    pos=$((pos + ${#gap} + ${#w}))",
        "    if ((i > 1 && ${#gap} == 0)) && [[ ${words[${#words[@]}-1]} == *@ || $w == @* ]]; then",
        "      words[${#words[@]}-1]+=$w",
        "    else",
        "      words+=(\"$w\")",
        "    fi",
        "    ((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))",
        "    ((i >= COMP_CWORD)) && break",
        "  done",
        "  COMPREPLY=($(\"${COMP_WORDS[0]}\" __complete bash \"$cword\" \"${words[@]}\" 2>/dev/null))",
        "}",
        // -o default: with nothing to offer (a folder, --db's file), bash completes file names.
        "complete -o default -F _fazt fazt",
        ""
      ].join("\n")
    case "zsh":
      return [
        "#compdef fazt",
        "# fazt completion for zsh: save as _fazt in a folder of your $fpath, or source it after compinit",
        "_fazt() {",
        "  local -a candidates",
        "  candidates=(\"${(@f)$(\"${words[1]}\" __complete zsh $((CURRENT - 1)) \"${words[@]}\" 2>/dev/null)}\")",
        "  if [[ -n \"${candidates[1]}\" ]]; then",
        "    _describe -t values fazt candidates",
        "  else",
        "    _files",
        "  fi",
        "}",
        "if [[ \"${funcstack[1]}\" = _fazt ]]; then _fazt \"$@\"; else compdef _fazt fazt; fi",
        ""
      ].join("\n")
    case "fish": {
      // One `complete` command a line. Files only where a path is expected.
      const ask = "(fazt __complete fish (count (commandline -opc)) (commandline -opc) (commandline -ct))"
      return [
        "complete -c fazt -e",
        `complete -c fazt -f -a '${ask}'`,
        "complete -c fazt -n '__fish_seen_subcommand_from deploy; or __fish_prev_arg_in --db' -F",
        ""
      ].join("\n")
    }
    default:
      return undefined
  }
}

/** The peers' names in the database a command would use, read without changing it; none on any trouble. */
export const peerNames = (db: string | undefined): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    const filename = yield* resolvePath(Option.fromNullable(db), "client")
    // Completing must never create a database.
    if (!fs.existsSync(filename)) return []
    const peers = yield* Effect.flatMap(PeerStore, (store) => store.list).pipe(
      Effect.provide(PeerStore.layer.pipe(Layer.provide(Database.layerUnmigrated({ filename }))))
    )
    return peers.map((p) => p.name)
  }).pipe(Effect.orElseSucceed(() => []))

/** `fazt __complete <shell> <cword> <words…>`: one candidate a line on stdout, nothing on stderr. */
export const answerCompletion = (root: CommandSpec, argv: ReadonlyArray<string>): Effect.Effect<void> =>
  Effect.gen(function* () {
    const [shell = "bash", cword = "0", ...words] = argv
    const result = complete(root, words, Number(cword))
    let candidates = result.candidates
    if (result.peers !== undefined) {
      const prefix = result.peers
      const names = yield* peerNames(result.db)
      candidates = names.map((n) => ({ value: prefix + n, description: "peer" })).filter((c) => c.value.startsWith(result.current))
    }
    const text = formatCandidates(shell, candidates)
    if (text !== "") yield* Console.log(text)
  })
