// `npm run lint`: the rules this house's design needs (docs/DEVELOPMENT.md),
// then the effect language service's diagnostics (scripts/lint-effect.mjs:
// floating Effects and the like, warnings counted as errors).
import js from "@eslint/js"
import tseslint from "typescript-eslint"

// The one writer of stdout and stderr: it orders every write and makes the
// exit wait for queued ones (a console.log anywhere else goes around it).
const WRITERS = ["src/commands/stdio.ts"]

// The composition roots: the only files that load our own code on first use
// with import() (through src/lazy.ts), so that a command pays only for what it runs.
const COMPOSITION_ROOTS = ["src/commands/layers.ts", "src/FaztRemote.ts", "src/commands/server/start.ts"]

const noOutput = {
  "no-console": "error",
  "no-restricted-properties": [
    "error",
    { object: "process", property: "stdout", message: "Write through src/commands/stdio.ts, the one writer of stdout." },
    { object: "process", property: "stderr", message: "Write through src/commands/stdio.ts, the one writer of stderr." }
  ]
}

const noLazyOwnCode = {
  "no-restricted-syntax": [
    "error",
    {
      selector: "ImportExpression[source.type='Literal'][source.value=/^[.][.]?[/]/]",
      message: "import() of our own code belongs in a composition root (src/commands/layers.ts, src/FaztRemote.ts, src/commands/server/start.ts) through src/lazy.ts."
    },
    {
      selector: "ImportExpression:not([source.type='Literal'])",
      message: "import() with a computed specifier: name the module (and load our own code only in a composition root)."
    }
  ]
}

export default tseslint.config(
  { ignores: ["dist/**", "dist.next-*/**", "dist.old-*/**", "node_modules/**", "bench/.work/**", ".ci/**", "src/migrations.generated.ts"] },
  {
    files: ["src/**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    rules: {
      ...noOutput,
      ...noLazyOwnCode,
      // Effect.gen's generators, the house's `_` placeholders and Schema's class pattern.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/no-namespace": "off",
      "require-yield": "off"
    }
  },
  { files: WRITERS, rules: { "no-console": "off", "no-restricted-properties": "off" } },
  { files: COMPOSITION_ROOTS, rules: { "no-restricted-syntax": "off" } }
)
