#!/bin/sh
# Lints the HTTP API's OpenAPI document (docs/openapi.json) with Redocly's
# linter, rule set recommended-strict (every warning is an error), and
# checks that the committed copy is the one the API serves (api/openapi.json,
# embedded in the binary). Needs Node 20+ and npm; npx fetches the pinned CLI.
#
#	scripts/lint-openapi.sh
set -eu
cd "$(dirname "$0")/.."
if ! cmp -s api/openapi.json docs/openapi.json; then
	echo "lint-openapi: docs/openapi.json differs from api/openapi.json (run: go generate ./api)" >&2
	exit 1
fi
# One exception, written here rather than in a repository-wide config: the
# document's own route is public and has no error answer, so it cannot
# have the 4XX response the rule wants of every operation.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp docs/openapi.json "$tmp/openapi.json"
cat >"$tmp/.redocly.lint-ignore.yaml" <<'YAML'
openapi.json:
  operation-4xx-response:
    - '#/paths/~1v1~1openapi.json/get/responses'
YAML
cd "$tmp"
# Pinned: a new linter release must not break CI unannounced.
npx --yes @redocly/cli@2.77.0 lint --extends=recommended-strict --format=stylish openapi.json
