#!/usr/bin/env bash
# Checks the Prometheus alerting rules with promtool: syntax and templates
# (promtool check rules), then the unit tests (promtool test rules). CI runs
# it; promtool comes with Debian's `prometheus` package.
#   usage: deploy/check.sh
set -euo pipefail
cd "$(dirname "$0")/prometheus"

if ! command -v promtool >/dev/null 2>&1; then
  echo "check.sh: promtool not found; install it with: apt-get install prometheus" >&2
  exit 1
fi
promtool --version 2>&1 | head -n 1
promtool check rules smsq-rules.yml
promtool test rules ./*_test.yml
