#!/usr/bin/env bash
# The whole smsq flow on one machine: a private redis-server, the fake
# sMsmode, the worker, and every kind of message through the enqueue CLI.
# DEMO_KEEP=1 keeps everything running (web UI, webhooks) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

./scripts/deps.sh demo
[ -x bin/worker ] && [ -x bin/enqueue ] && [ -x bin/smsmode-fake ] || go build -o bin/ ./cmd/...

work=$(mktemp -d "${TMPDIR:-/tmp}/smsq-demo.XXXXXX")
pids=()
cleanup() {
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; wait "${pids[$i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
wait_for() { # url, what
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "demo: $2 did not start" >&2; return 1
}

say "private redis-server (unix socket in $work)"
redis-server --port 0 --unixsocket "$work/redis.sock" --unixsocketperm 700 --dir "$work" \
  --save "" --appendonly yes --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 1 200); do [ -S "$work/redis.sock" ] && break; sleep 0.05; done

fake_port=$(free_port); http_port=$(free_port)
say "fake sMsmode on 127.0.0.1:$fake_port (refuses 06 11 11 11 11 with code 32)"
bin/smsmode-fake -addr "127.0.0.1:$fake_port" -fail-number 33611111111:32 2>"$work/fake.log" &
pids+=($!)

export REDIS_URL="redis-socket://$work/redis.sock"
export SMSMODE_BASE_URL="http://127.0.0.1:$fake_port/http/1.6/"
export SMSMODE_ACCESS_TOKEN="Ab1CD2efg3Hi"
export HTTP_ADDR="127.0.0.1:$http_port"
export WEBHOOK_SECRET="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export WEBHOOK_PUBLIC_URL="http://127.0.0.1:$http_port"
export MONITORING_USER=demo MONITORING_PASSWORD="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export RETRY_BASE_DELAY=200ms RETRY_MAX_DELAY=2s

say "worker (logs in $work/worker.log)"
bin/worker 2>"$work/worker.log" &
pids+=($!)
wait_for "http://$HTTP_ADDR/readyz" worker

say "enqueueing"
cat >"$work/rows.csv" <<'CSV'
numero,message,emetteur,refClient
0612000001,"Bonjour Léa, -20 % ce samedi !",MYSHOP,lea
0612000002,"Bonjour Hugo, -20 % ce samedi !",MYSHOP,hugo
+33 6 12 00 00 03,"Bonjour Inès, -20 % ce samedi !",,ines
0033612000004,"Bonjour Zoé, -20 % ce samedi !",MYSHOP,zoe
06.12.00.00.05,"Bonjour Noé, -20 % ce samedi !",MYSHOP,noe
CSV
at=$(date -u -d '+2 hours' '+%Y-%m-%dT%H:%M:00Z')
run bin/enqueue send --to "06 12 34 56 78" --message "Votre code : 4821" --from MYSHOP --queue critical --id demo-plain
run bin/enqueue send --to "+33 6 98 76 54 32" --message "Votre commande 42 est expédiée : 12 € réglés. À bientôt !" --id demo-accented
run bin/enqueue send --to 0612345678 --message "Joyeux anniversaire 🎂🎉" --id demo-emoji
run bin/enqueue send --to 0612345678 --message "Répondez OUI pour confirmer" --reply --id demo-reply
run bin/enqueue voice --to "01 23 45 67 89" --message "Bonjour, votre rendez-vous de demain est confirmé." --language fr-FR --id demo-voice
run bin/enqueue batch --file "$work/rows.csv" --id demo-batch
run bin/enqueue send --to 0612345678 --message "Rappel : rendez-vous dans deux heures" --at "$at" --id demo-scheduled
run bin/enqueue send --to "06 11 11 11 11" --message "Ce message sera refusé" --id demo-refused
printf '$ bin/enqueue send --to "06 12" --message x   # invalid: exit code %s\n' "$(bin/enqueue send --to "06 12" --message x 2>/dev/null; echo $?)"

ids=(demo-plain demo-accented demo-emoji demo-reply demo-voice demo-batch-1 demo-scheduled demo-refused)
say "waiting for the worker"
for id in "${ids[@]}"; do
  for _ in $(seq 1 300); do
    # awk reads to the end: exiting early could SIGPIPE enqueue, which
    # pipefail would turn into a failed demo.
    state=$(bin/enqueue status "$id" 2>/dev/null | awk -F': *' '!found && tolower($1) ~ /^ *state$/ {print $2; found=1}' || true)
    case "$state" in completed|archived) break ;; esac
    sleep 0.1
  done
done
# Delivery reports arrive a moment after acceptance.
for _ in $(seq 1 50); do
  [[ "$(bin/enqueue status demo-plain 2>/dev/null || true)" == *"received ["* ]] && break
  sleep 0.1
done

say "what happened"
for id in "${ids[@]}"; do
  echo "---- $id"
  bin/enqueue status "$id" || true
done

say "cancelling the scheduled message at sMsmode"
run bin/enqueue cancel demo-scheduled || true

if [ "${DEMO_KEEP:-0}" = 1 ]; then
  say "running; Ctrl-C to stop"
  echo "web UI:   http://$HTTP_ADDR/monitoring/  (demo / demo)"
  echo "metrics:  http://$HTTP_ADDR/metrics"
  echo "webhooks: $WEBHOOK_PUBLIC_URL/webhooks/smsmode/<WEBHOOK_SECRET>/delivery"
  echo "env:      REDIS_URL=$REDIS_URL SMSMODE_BASE_URL=$SMSMODE_BASE_URL"
  wait "${pids[2]}"
fi
say "stopping"
