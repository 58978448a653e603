#!/usr/bin/env bash
# The whole smsq flow on one machine: a private redis-server, the fake
# sMsmode, the worker, and every kind of message through the enqueue CLI.
# The logs stay in .demo/ after the demo (make clean removes them).
# DEMO_KEEP=1 keeps everything running (web UI, webhooks) until Ctrl-C and
# prints the demo's own addresses, secrets and commands to try.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# quote prints its arguments as a shell would read them back: copy-pasteable.
quote() {
  local out=() a
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
  done
  printf '%s' "${out[*]}"
}
run() { printf '$ %s\n' "$(quote "$@")"; "$@"; }
# fails CODE CMD…: runs a command that must fail with exit status CODE and
# shows what a user sees: its message and its status.
fails() {
  local want=$1 code=0; shift
  printf '$ %s\n' "$(quote "$@")"
  "$@" || code=$?
  printf '(exit status %s)\n' "$code"
  [ "$code" = "$want" ] || { echo "demo: expected exit status $want" >&2; return 1; }
}

./scripts/deps.sh demo
[ -x bin/worker ] && [ -x bin/enqueue ] && [ -x bin/smsmode-fake ] || go build -o bin/ ./cmd/...

# Redis's data and socket live in a temporary directory; the logs in .demo/.
work=$(mktemp -d "${TMPDIR:-/tmp}/smsq-demo.XXXXXX")
logs=.demo
mkdir -p "$logs"
rm -f "$logs"/*.log
pids=()
cleanup() {
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; wait "${pids[$i]}" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
wait_for() { # url, what
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "demo: $2 did not start (logs in $logs/)" >&2; return 1
}

say "private redis-server (unix socket in $work)"
redis-server --port 0 --unixsocket "$work/redis.sock" --unixsocketperm 700 --dir "$work" \
  --save "" --appendonly yes --logfile "$PWD/$logs/redis.log" &
pids+=($!)
for _ in $(seq 1 200); do [ -S "$work/redis.sock" ] && break; sleep 0.05; done

fake_port=$(free_port); http_port=$(free_port)
say "fake sMsmode on 127.0.0.1:$fake_port (refuses 06 11 11 11 11 with code 35, as sMsmode answers for an invalid number)"
bin/smsmode-fake -addr "127.0.0.1:$fake_port" -fail-number 33611111111:35 2>"$logs/fake.log" &
pids+=($!)

# Demo-only values: the fake's documented token and random secrets.
export REDIS_URL="redis-socket://$work/redis.sock"
export SMSMODE_BASE_URL="http://127.0.0.1:$fake_port/http/1.6/"
export SMSMODE_ACCESS_TOKEN="Ab1CD2efg3Hi"
export HTTP_ADDR="127.0.0.1:$http_port"
export WEBHOOK_SECRET="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export WEBHOOK_PUBLIC_URL="http://127.0.0.1:$http_port"
export MONITORING_USER=demo MONITORING_PASSWORD="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export RETRY_BASE_DELAY=200ms RETRY_MAX_DELAY=2s

say "worker (JSON logs in $logs/worker.log, kept after the demo)"
bin/worker 2>"$logs/worker.log" &
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
cp "$work/rows.csv" "$logs/rows.csv" # so that the printed batch command works after the demo too
at=$(date -u -d '+2 hours' '+%Y-%m-%dT%H:%M:00Z')
run bin/enqueue send --to "06 12 34 56 78" --message "Votre code : 4821" --from MYSHOP --queue critical --id demo-plain
run bin/enqueue send --to "+33 6 98 76 54 32" --message "Votre commande 42 est expédiée : 12 € réglés. À bientôt !" --id demo-accented
run bin/enqueue send --to 0612345678 --message "Joyeux anniversaire 🎂🎉" --id demo-emoji
run bin/enqueue send --to 0612345678 --message "Répondez OUI pour confirmer" --reply --id demo-reply
run bin/enqueue voice --to "01 23 45 67 89" --message "Bonjour, votre rendez-vous de demain est confirmé." --language fr-FR --id demo-voice
run bin/enqueue batch --file "$logs/rows.csv" --id demo-batch
run bin/enqueue send --to 0612345678 --message "Rappel : rendez-vous dans deux heures" --at "$at" --id demo-scheduled
run bin/enqueue send --to "06 11 11 11 11" --message "Ce message sera refusé" --id demo-refused

say "invalid input: one line naming the field, nothing enqueued, exit status 2"
fails 2 bin/enqueue send --to "06 12" --message x

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
  run bin/enqueue status "$id" || true
done
refused=$(bin/enqueue status demo-refused 2>&1 || true)
[[ "$refused" == *"State:        archived"* && "$refused" == *"code 35"* ]] ||
  { echo "demo: demo-refused should be archived with code 35" >&2; exit 1; }

say "cancelling the scheduled message at sMsmode, then asking again"
run bin/enqueue cancel demo-scheduled
run bin/enqueue status demo-scheduled
run bin/enqueue cancel demo-scheduled

say "a dry run: what a commercial message would cost, and when it would go"
run bin/enqueue send --to '06 12 34 56 78' --message 'Soldes -20 % ce week-end' --from MYSHOP --stop 1 --marketing --valid-for 48h --dry-run

if [ "${DEMO_KEEP:-0}" = 1 ]; then
  sms_id=$(bin/enqueue status demo-plain | awk -F': *' '$1 == "smsID" {print $2}')
  say "running; Ctrl-C to stop (these values are the demo's own, made up for this run)"
  cat <<EOF2
web UI:   http://$HTTP_ADDR/monitoring/   user $MONITORING_USER   password $MONITORING_PASSWORD
metrics:  http://$HTTP_ADDR/metrics
webhooks: $WEBHOOK_PUBLIC_URL/webhooks/smsmode/$WEBHOOK_SECRET/delivery
          $WEBHOOK_PUBLIC_URL/webhooks/smsmode/$WEBHOOK_SECRET/reply
logs:     $logs/worker.log  $logs/fake.log  $logs/redis.log

In another terminal, from $PWD:
  export $(quote "REDIS_URL=$REDIS_URL") $(quote "SMSMODE_BASE_URL=$SMSMODE_BASE_URL") $(quote "SMSMODE_ACCESS_TOKEN=$SMSMODE_ACCESS_TOKEN")
  $(quote bin/enqueue send --to 0612345678 --message "Bonjour !" --id try-1)
  $(quote bin/enqueue status try-1)
  $(quote bin/enqueue send --to 0612345678 --message "Plus tard" --at "$at" --id try-later)
  $(quote bin/enqueue cancel try-later)
  $(quote curl "$WEBHOOK_PUBLIC_URL/webhooks/smsmode/$WEBHOOK_SECRET/delivery?numero=33612345678&statut=11&smsID=$sms_id&date_reception=$(TZ=Europe/Paris date '+%Y-%m-%d+%H:%M:%S')")
EOF2
  wait "${pids[2]}"
fi
say "stopping (logs kept in $logs/)"
