import * as Args from "@effect/cli/Args"
import type * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"

/**
 * The command tree as data, read from the `@effect/cli` definitions
 * themselves: help, completions and the checks of what was typed all come
 * from here, so a flag added to a command shows up everywhere at once.
 *
 * It reads the descriptors' fields (`_tag`, `options`, `args`, …) of
 * `@effect/cli` 0.77, which that package marks internal: the pinned version
 * and the help of every command in `test/cli/usage.test.ts` and the tree
 * read back in `test/commands/derived.test.ts` keep it honest.
 */
export interface FlagSpec {
  /** `--all` */
  readonly name: string
  readonly aliases: ReadonlyArray<string>
  readonly takesValue: boolean
  /** `NAME`, `DURATION`, … (empty for a switch) */
  readonly placeholder: string
  readonly description: string
  /** Shown as `(default: …)`; undefined when there is none worth showing. */
  readonly defaultValue: string | undefined
  readonly choices: ReadonlyArray<string>
  /** A flag that takes a value and has no default nor is optional (`create-key --name`). */
  readonly required?: boolean
}

export interface ArgSpec {
  readonly name: string
  readonly optional: boolean
  readonly description: string
  /** It names a peer already stored (`storedPeer`), not a new one (`add`'s): completion offers the peers' names. */
  readonly peer: boolean
}

export interface CommandSpec {
  /** `["fazt", "remote", "deploy"]` */
  readonly path: ReadonlyArray<string>
  readonly name: string
  readonly summary: string
  readonly example: string | undefined
  readonly flags: ReadonlyArray<FlagSpec>
  readonly args: ReadonlyArray<ArgSpec>
  readonly children: ReadonlyArray<CommandSpec>
  /** Other words that reach this command (`rm` for `remove`). */
  readonly aliases: ReadonlyArray<string>
  /** It talks to peers (`goesOnline`): the network flags apply to it. */
  readonly online: boolean
}

/**
 * The commands that talk to peers, by their descriptor: `online(…)` in
 * remote.ts marks each verb it gives the network client, so help and
 * completion know where `--timeout`, `--retries`, `--insecure` and `--peer`
 * mean something. A descriptor is kept by `Command.provide` and
 * `Command.transformHandler`, and wrapped (not copied) by
 * `Command.withSubcommands`; `Command.withDescription` makes a new one, so a
 * command is marked once described.
 */
const onlineDescriptors = new WeakSet<object>()

/** Marks `command` as one that talks to peers (see `CommandSpec.online`). */
export const goesOnline = <C extends Command.Command<any, any, any, any>>(command: C): C => {
  onlineDescriptors.add(command.descriptor)
  return command
}

/**
 * Marks an argument as the name of a stored peer (`ArgSpec.peer`): completion
 * offers the peers' names there, and a verb whose first argument it is takes
 * the name of `fazt @name verb` there (`fazt @zyt show` → `fazt remote show zyt`).
 * The mark is a map by this very function (`Args.mapEffect` keeps it as it
 * is), which every later combinator (`Args.withDescription`, `Args.optional`)
 * keeps too.
 */
export const storedPeer = <A>(arg: Args.Args<A>): Args.Args<A> => Args.mapEffect(arg, asStoredPeer)
function asStoredPeer<A>(value: A): Effect.Effect<A> {
  return Effect.succeed(value)
}

/**
 * A verb that takes a stored peer's name as its first, required argument
 * (`show`, `remove`, `rename`…): `fazt @zyt show` puts the name there. A verb
 * whose peer is optional (`status`) gets `--peer` instead.
 */
export const takesPeerFirst = (command: CommandSpec): boolean => {
  const first = command.args[0]
  return first !== undefined && first.peer && !first.optional
}

/**
 * Words people type out of habit (git, docker, fazt v0.29 itself): alias →
 * what it means under its parent: a child, a path of them, or (null) the
 * parent itself.
 */
export const VERB_ALIASES: Readonly<Record<string, { readonly parent: string; readonly to: string | ReadonlyArray<string> | null }>> = {
  // `fazt remote` itself lists the peers.
  ls: { parent: "remote", to: null },
  list: { parent: "remote", to: null },
  rm: { parent: "remote", to: "remove" },
  // fazt v0.29 (cmd/server/main.go): `fazt peer list|add|remove|default`, and `fazt app …` on the default peer.
  peer: { parent: "fazt", to: "remote" },
  app: { parent: "fazt", to: ["remote", "app"] }
}

/**
 * The commands `word` leads to below `command`, aliases followed (one may
 * lead two deep); `[]` when it is a habit meaning `command` itself;
 * undefined when it names nothing there.
 */
export const verbAt = (command: CommandSpec, word: string): ReadonlyArray<CommandSpec> | undefined => {
  const alias = VERB_ALIASES[word]
  const to = alias !== undefined && alias.parent === command.name ? alias.to : word
  if (to === null) return []
  const steps: Array<CommandSpec> = []
  let at = command
  for (const name of typeof to === "string" ? [to] : to) {
    const child = at.children.find((c) => c.name === name)
    if (child === undefined) return undefined
    steps.push(child)
    at = child
  }
  return steps
}

/** The flags that mean something only to the commands that talk to peers (`CommandSpec.online`). */
const NETWORK_FLAGS: ReadonlySet<string> = new Set(["--timeout", "--retries", "--insecure", "--peer"])

/** The global flags that mean something to `command`. */
export const globalFlagsFor = (root: CommandSpec, command: CommandSpec): ReadonlyArray<FlagSpec> => {
  return root.flags
    .filter((f) => command === root || command.online || !NETWORK_FLAGS.has(f.name))
    // The node's commands have a database of their own (src/services/db/Database.ts resolvePath).
    .map((f) => f.name === "--db" && command.path[1] === "server" ? { ...f, description: "The node's database file (default: $FAZT_DB_PATH, else ./data.db)" } : f)
}

/** Placeholders people understand better than `text`/`integer`. */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  "--db": "PATH",
  "--timeout": "DURATION",
  "--retries": "N",
  "--peer": "NAME",
  "--name": "NAME",
  "--token": "TOKEN",
  "--description": "TEXT",
  "--port": "PORT",
  "--host": "ADDRESS",
  "--max-upload": "SIZE",
  "--deploys-per-minute": "N",
  "--completions": "SHELL",
  "--format": "FORMAT",
  "--url": "URL",
  "--alias": "ALIAS",
  "--id": "APP_ID",
  "--as": "ALIAS",
  "--to": "PEERS"
}

type Node = { readonly _tag: string; readonly [k: string]: any }

const spanText = (span: Node | undefined): string => {
  if (span === undefined) return ""
  switch (span._tag) {
    case "Sequence":
      return spanText(span.left) + spanText(span.right)
    case "Text":
    case "Highlight":
    case "Strong":
    case "Weak":
    case "URI":
      return typeof span.value === "string" ? span.value : spanText(span.value)
    default:
      return ""
  }
}

/** The paragraphs of a HelpDoc, as plain strings. */
const paragraphs = (doc: Node | undefined): Array<string> => {
  if (doc === undefined) return []
  switch (doc._tag) {
    case "Paragraph":
      return [spanText(doc.value)]
    case "Sequence":
      return [...paragraphs(doc.left), ...paragraphs(doc.right)]
    default:
      return []
  }
}

/** A default worth printing: not `false` (a switch), not `Option.none()` (optional). */
const showDefault = (fallback: unknown): string | undefined =>
  typeof fallback === "string" || typeof fallback === "number" ? String(fallback) : undefined

const collectFlags = (options: Node, fallback: unknown, out: Array<FlagSpec>): void => {
  switch (options._tag) {
    case "Single": {
      const primitive = options.primitiveType as Node
      const takesValue = primitive._tag !== "Bool"
      const name = options.fullName as string
      const pseudo = options.pseudoName as { _tag: string; value?: string }
      const description = paragraphs(options.description as Node)
      out.push({
        name,
        aliases: (options.aliases as ReadonlyArray<string>).map((a) => (a.length === 1 ? `-${a}` : `--${a}`)),
        takesValue,
        placeholder: !takesValue ? "" : pseudo._tag === "Some" ? pseudo.value! : PLACEHOLDERS[name] ?? "VALUE",
        description: description[description.length - 1] ?? "",
        defaultValue: showDefault(fallback),
        choices: primitive._tag === "Choice"
          ? (primitive.alternatives as ReadonlyArray<readonly [string, unknown]>).map(([c]) => c)
          : [],
        required: takesValue && fallback === undefined
      })
      return
    }
    case "WithDefault":
      return collectFlags(options.options as Node, options.fallback, out)
    case "Map":
    case "WithFallback":
      return collectFlags(options.options as Node, fallback, out)
    case "Both":
    case "OrElse":
      collectFlags(options.left as Node, fallback, out)
      collectFlags(options.right as Node, fallback, out)
      return
    case "Variadic":
    case "KeyValueMap":
      return collectFlags(options.argumentOption as Node, fallback, out)
    default:
      return
  }
}

const collectArgs = (args: Node, optional: boolean, peer: boolean, out: Array<ArgSpec>): void => {
  switch (args._tag) {
    case "Single": {
      const description = paragraphs(args.description as Node)
      out.push({
        name: (args.name as string).replace(/^<(.*)>$/, "$1"),
        optional,
        description: description[description.length - 1] ?? "",
        peer
      })
      return
    }
    case "WithDefault":
      return collectArgs(args.args as Node, true, peer, out)
    case "Map":
      return collectArgs(args.args as Node, optional, peer || args.f === asStoredPeer, out)
    case "WithFallbackConfig":
    case "Variadic":
      return collectArgs(args.args as Node, optional, peer, out)
    case "Both":
      collectArgs(args.left as Node, optional, peer, out)
      collectArgs(args.right as Node, optional, peer, out)
      return
    default:
      return
  }
}

const EXAMPLE = /\n\s*Example:\s*/

const fromDescriptor = (descriptor: Node, parents: ReadonlyArray<string>, marked: boolean): CommandSpec => {
  const online = marked || onlineDescriptors.has(descriptor)
  switch (descriptor._tag) {
    case "Map":
      return fromDescriptor(descriptor.command as Node, parents, online)
    case "Subcommands": {
      // The mark of `remote app` is its own, not its verbs': each of them is marked (or not) where it is composed.
      const parent = fromDescriptor(descriptor.parent as Node, parents, online)
      const children = (descriptor.children as ReadonlyArray<Node>).map((c) => fromDescriptor(c, parent.path, false))
      return { ...parent, children }
    }
    default: {
      const name = descriptor.name as string
      const text = paragraphs(descriptor.description as Node).join("\n\n")
      const [summary, example] = text.split(EXAMPLE)
      const flags: Array<FlagSpec> = []
      if (descriptor.options) collectFlags(descriptor.options as Node, undefined, flags)
      const args: Array<ArgSpec> = []
      if (descriptor.args) collectArgs(descriptor.args as Node, false, false, args)
      return {
        path: [...parents, name],
        name,
        summary: (summary ?? "").trim(),
        example: example?.trim(),
        flags,
        args,
        children: [],
        aliases: Object.entries(VERB_ALIASES).filter(([, a]) => a.parent === parents[parents.length - 1] && a.to === name)
          .map(([alias]) => alias),
        online
      }
    }
  }
}

export const commandSpec = (command: Command.Command<any, any, any, any>): CommandSpec =>
  fromDescriptor((command as unknown as { descriptor: Node }).descriptor, [], false)

/** Every command below and including `root`, depth first. */
export const allCommands = (root: CommandSpec): Array<CommandSpec> => [root, ...root.children.flatMap(allCommands)]

/** Edit distance counting a swap of two neighbours as one edit (`--tokne`), for "did you mean …?". */
const distance = (a: string, b: string): number => {
  const d: Array<Array<number>> = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
      }
    }
  }
  return d[a.length]![b.length]!
}

/** The nearest of `candidates` to `word`, when it is near enough to be a typo. */
/** Words other tools use for a verb fazt names otherwise (gh's `delete`, docker's `create`): suggested by meaning, not spelling. */
const SYNONYMS: Readonly<Record<string, string>> = {
  delete: "remove",
  del: "remove",
  destroy: "remove",
  forget: "remove",
  create: "add",
  new: "add",
  use: "default",
  mv: "rename",
  move: "rename",
  push: "deploy",
  publish: "deploy",
  health: "status"
}

export const nearest = (word: string, candidates: ReadonlyArray<string>): string | undefined => {
  const synonym = SYNONYMS[word]
  if (synonym !== undefined && candidates.includes(synonym)) return synonym
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, c)
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  const allowed = Math.max(1, Math.floor(word.replace(/^-+/, "").length / 3))
  return bestDistance <= allowed ? best : undefined
}
