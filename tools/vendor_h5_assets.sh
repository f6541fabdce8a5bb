#!/usr/bin/env bash
# Copies the H5 pages' front-end assets from the npm registry, at pinned versions, into
# h5/static/vendor/ with their licences. The copies are committed: `make run` needs no npm.
set -euo pipefail
WEUI=2.6.26
HTMX=2.0.8

source "$(dirname "$0")/npm_vendor.sh"
npm_unpack h5/static/vendor "weui@$WEUI" "htmx.org@$HTMX"
cp "weui-$WEUI/package/dist/style/weui.min.css" "$dest/weui.min.css"
cp "weui-$WEUI/package/LICENSE.txt" "$dest/weui.LICENSE.txt"
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$dest/htmx.min.js"
cp "htmx.org-$HTMX/package/LICENSE" "$dest/htmx.LICENSE"
npm_versions <<END
weui $WEUI (MIT)
htmx.org $HTMX (BSD-2-Clause)
END
