#!/usr/bin/env bash
# Copies the H5 pages' front-end assets from the npm registry, at pinned versions, into
# h5/static/vendor/ with their licences. The copies are committed: `make run` needs no npm.
set -euo pipefail
WEUI=2.6.26
HTMX=2.0.8

dest="$(cd "$(dirname "$0")/.." && pwd)/h5/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "weui@$WEUI" "htmx.org@$HTMX" >/dev/null
for tgz in *.tgz; do mkdir "${tgz%.tgz}" && tar xzf "$tgz" -C "${tgz%.tgz}"; done

rm -rf "$dest" && mkdir -p "$dest"
cp "weui-$WEUI/package/dist/style/weui.min.css" "$dest/weui.min.css"
cp "weui-$WEUI/package/LICENSE.txt" "$dest/weui.LICENSE.txt"
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$dest/htmx.min.js"
cp "htmx.org-$HTMX/package/LICENSE" "$dest/htmx.LICENSE"
cat >"$dest/VERSIONS" <<END
weui $WEUI (MIT)
htmx.org $HTMX (BSD-2-Clause)
END
echo "vendored into $dest:" && cat "$dest/VERSIONS"
