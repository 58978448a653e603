#!/usr/bin/env bash
# Installs with apt-get the Debian packages a make target needs and this
# machine lacks; does nothing when everything is there.
# usage: scripts/deps.sh demo|test|ci
set -euo pipefail

need=()
want() { # want COMMAND PACKAGE...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 || need+=("$@")
}
case "${1:-}" in
  demo)
    want redis-server redis-server
    want curl curl ca-certificates # the demo polls /readyz
    ;;
  test)
    want redis-server redis-server # every test starts its own
    want gcc gcc                   # go test -race needs cgo
    # The web UI is checked in a real browser (internal/monitoring/browser_test.go).
    want chromium chromium fonts-dejavu-core
    want promtool prometheus       # deploy/check.sh: promtool check/test rules
    ;;
  ci)
    want make make
    want promtool prometheus
    want npx nodejs npm          # scripts/lint-openapi.sh (Redocly needs Node 20 or later)
    want redis-server redis-server
    want gcc gcc
    want curl curl ca-certificates
    want chromium chromium fonts-dejavu-core
    ;;
  *)
    echo "usage: $0 demo|test|ci" >&2
    exit 2
    ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: missing ${need[*]} and no apt-get here; install them and run again" >&2
  exit 1
fi
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
echo "deps: installing ${need[*]}"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}"
# Debian's prometheus package starts a server on :9090 where systemd runs: promtool is all we want.
command -v systemctl >/dev/null 2>&1 && $sudo_cmd systemctl disable --now prometheus >/dev/null 2>&1 || true
