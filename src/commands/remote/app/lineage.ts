import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { emit, escapeControl } from "../../output.js"
import { appCommand, appReference, field, listField, referenceArgs } from "./gateway.js"

/** The fork tree as fazt draws it (`cmd/server/app_v2.go` printLineageTree), one app a line. */
const drawTree = (node: unknown, prefix = "", last = true, root = true): Array<string> => {
  if (typeof node !== "object" || node === null) return []
  const aliases = listField(node, "aliases")
  const line = `${prefix}${root ? "" : last ? "└── " : "├── "}${field(node, "id") ?? "?"} "${field(node, "title") ?? ""}"` +
    (aliases.length > 0 ? ` [${aliases.join(", ")}]` : "")
  const forks = (node as { forks?: unknown }).forks
  const children = Array.isArray(forks) ? forks : []
  const below = root ? prefix : prefix + (last ? "    " : "│   ")
  return [escapeControl(line), ...children.flatMap((c, i) => drawTree(c, below, i === children.length - 1, false))]
}

export const lineage = Command.make("lineage", appReference, ({ alias, id }) =>
  Effect.gen(function* () {
    const args = yield* referenceArgs("lineage", Option.none(), { alias, id }, false)
    const { data } = yield* appCommand(["lineage", ...args], true)
    yield* emit(data, (d) => drawTree(d).join("\n"))
  })).pipe(Command.withDescription("Show an app's forks as a tree (fazt's 'app lineage').\n\nExample: fazt @zyt app lineage --alias blog"))
