#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (default 60s).
# New crashers land in the package's testdata/fuzz/ and become regression seeds.
# Go minimises every new interesting input for up to -fuzzminimizetime (60 s
# by default), during which no new input is tried; FUZZMINIMIZE (default 10s)
# keeps more of each target's time for fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-60s}
minimize=${FUZZMINIMIZE:-10s}
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target for $fuzztime"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime="$minimize" "$pkg"
  done
done
