#!/usr/bin/env node
// Launcher: the CLI is bundled into dist/fazt.mjs by `npm run build`.
import "../dist/fazt.mjs"
