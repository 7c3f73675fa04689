#!/usr/bin/env bash
# Builds the reference tools the interop tests and benchmarks run beside ours, from their own Go
# modules at pinned versions, into .tools/bin (git-ignored): `npm run tools`, also run by .ci/run.
#
#   cosign      github.com/sigstore/cosign/v3   the latest v3
#   cosign-v2   github.com/sigstore/cosign/v2   the last v2 (built apart, then renamed)
#   syft        github.com/anchore/syft         v1.57.x
#   crane       github.com/google/go-containerregistry   v0.22.x
#   actionlint  github.com/rhysd/actionlint     the latest v1.7.x (runs Debian's shellcheck)
#
# A tool already built at its pinned version (as `go version -m` reads it from the binary) is
# skipped. Go's module and build caches (GOMODCACHE, GOCACHE: by default under ~/go and
# ~/.cache/go-build) persist between runs, so a second run on the same machine, or a fresh clone
# there, only links. GOTOOLCHAIN=local: a version that wants a newer Go than the machine's fails
# here, saying which, instead of downloading a toolchain.
#
# Environment: TOOLS_BIN (default <repo>/.tools/bin), GO (default: go on PATH, else
# /usr/local/go/bin/go).
set -euo pipefail
cd "$(dirname "$0")/.."

# name|package to install|module whose version the binary carries|version
TOOLS=(
  "cosign|github.com/sigstore/cosign/v3/cmd/cosign|github.com/sigstore/cosign/v3|v3.1.3"
  "cosign-v2|github.com/sigstore/cosign/v2/cmd/cosign|github.com/sigstore/cosign/v2|v2.6.5"
  "syft|github.com/anchore/syft/cmd/syft|github.com/anchore/syft|v1.57.2"
  "crane|github.com/google/go-containerregistry/cmd/crane|github.com/google/go-containerregistry|v0.22.1"
  "actionlint|github.com/rhysd/actionlint/cmd/actionlint|github.com/rhysd/actionlint|v1.7.12"
)

BIN="${TOOLS_BIN:-$PWD/.tools/bin}"
GO="${GO:-$(command -v go || true)}"
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
if [ -z "$GO" ]; then
  echo "tools: Go is not installed (no go on PATH, no /usr/local/go/bin/go): install Go 1.26 or" >&2
  echo "later (https://go.dev/doc/install), then run npm run tools again." >&2
  exit 1
fi

export GOFLAGS="-trimpath"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
mkdir -p "$BIN"
echo "tools: $("$GO" version), into $BIN"

# The module version a built binary carries ("" when the file is missing or not a Go binary).
built_version() { # <binary> <module>
  [ -x "$1" ] || return 0
  "$GO" version -m "$1" 2>/dev/null | awk -v m="$2" '$1 == "mod" && $2 == m { print $3 }'
}

failed=()
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name pkg module version <<<"$entry"
  target="$BIN/$name"
  if [ "$(built_version "$target" "$module")" = "$version" ]; then
    echo "tools: $name $version already built"
    continue
  fi
  # Each tool is built into its own temporary GOBIN and moved into place, so that cosign v2 and
  # v3 (both `cosign`) stand side by side and a failed build leaves no half-written binary.
  tmp="$(mktemp -d)"
  start=$SECONDS
  echo "tools: building $name: go install $pkg@$version"
  if GOBIN="$tmp" "$GO" install "$pkg@$version"; then
    mv -f "$tmp/$(basename "$pkg")" "$target"
    echo "tools: $name $version built in $((SECONDS - start)) s"
  else
    echo "tools: $name $version could not be built (see the go error above)" >&2
    failed+=("$name")
  fi
  rm -rf "$tmp"
done

if ! command -v shellcheck >/dev/null; then
  echo "tools: shellcheck is missing (actionlint checks run: scripts with it): apt-get install shellcheck" >&2
  failed+=("shellcheck")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "tools: not available: ${failed[*]}" >&2
  exit 1
fi
