#!/usr/bin/env bash
# Copies the console's front-end assets from the npm registry, at pinned versions, into
# admin/static/vendor/ with their licences. The copies are committed: `make run` needs no npm.
set -euo pipefail
HTMX=2.0.8
ECHARTS=6.1.0
PICO=2.1.1

source "$(dirname "$0")/npm_vendor.sh"
npm_unpack admin/static/vendor "htmx.org@$HTMX" "echarts@$ECHARTS" "@picocss/pico@$PICO"
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$dest/htmx.min.js"
cp "htmx.org-$HTMX/package/LICENSE" "$dest/htmx.LICENSE"
cp "echarts-$ECHARTS/package/dist/echarts.common.min.js" "$dest/echarts.common.min.js"
cp "echarts-$ECHARTS/package/LICENSE" "$dest/echarts.LICENSE"
cp "echarts-$ECHARTS/package/NOTICE" "$dest/echarts.NOTICE"
cp "picocss-pico-$PICO/package/css/pico.min.css" "$dest/pico.min.css"
cp "picocss-pico-$PICO/package/LICENSE.md" "$dest/pico.LICENSE.md"
npm_versions <<END
htmx.org $HTMX (BSD-2-Clause)
echarts $ECHARTS (Apache-2.0)
@picocss/pico $PICO (MIT)
END
