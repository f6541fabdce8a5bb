# Sourced by the vendor_*.sh scripts: the steps they share for copying front-end assets from the
# npm registry at pinned versions.

# npm_unpack DEST PACKAGE@VERSION...: recreates DEST (a folder of the repository, given relative
# to its root) empty and sets $dest to its full path, then unpacks each package into a scratch
# folder (removed on exit) as <tarball name>/package and leaves the shell there.
npm_unpack() {
  dest="$(cd "$(dirname "$0")/.." && pwd)/$1"
  shift
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cd "$work"
  npm pack --silent "$@" >/dev/null
  for tgz in *.tgz; do mkdir "${tgz%.tgz}" && tar xzf "$tgz" -C "${tgz%.tgz}"; done
  rm -rf "$dest" && mkdir -p "$dest"
}

# npm_versions: writes what stdin says (one package, version and licence a line) to $dest/VERSIONS
# and shows it.
npm_versions() {
  cat >"$dest/VERSIONS"
  echo "vendored into $dest:" && cat "$dest/VERSIONS"
}
