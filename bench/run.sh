#!/usr/bin/env bash
# `make bench`: measures ConsentService as deployed (Production, HS256 bearer auth on every request, rate limiter
# configured not to refuse, durable audit) and prints one table. See docs/performance.md for what each row means.
#
# Knobs (environment):
#   BENCH_COHORT_STUDIES  studies generated through transaction bundles for the bulk and cohort rows (1000000)
#   BENCH_SEED_PATIENTS   patients seeded for single decisions and the batch, 10 studies each (1000)
#   BENCH_BATCH_STUDIES   studies in the batch request (10000)
#   BENCH_WRK_ROUNDS      alternating service/floor wrk rounds (3)
#   BENCH_WRK_SECONDS     seconds per wrk run (10)
#   BENCH_CONNECTIONS     wrk connections (64)
#   BENCH_BULK_DEADLINE   seconds after which the bulk load stops generating bundles and reports its rate (900)
#   BENCH_COHORT_DEADLINE seconds after which the cohort is abandoned and reported as missed (240)
#   BENCH_COHORT_FILTER   the cohort's filter as JSON (CT or MR of the thorax, started 2015-2025)
#   BENCH_SKIP_ENGINE=1   skip the BenchmarkDotNet stage
#   BENCH_SERVICE_DLL     measure this build of ConsentService.Api.dll instead of building src/ (e.g. another work tree)
#   BENCH_PORT_BASE       first of three loopback ports used (18480)
#   BENCH_OUT             folder for the stage results (bench/results/<timestamp>; bench/results/latest links to it)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
DOTNET=${DOTNET:-dotnet}

COHORT_STUDIES=${BENCH_COHORT_STUDIES:-1000000}
SEED_PATIENTS=${BENCH_SEED_PATIENTS:-1000}
BATCH_STUDIES=${BENCH_BATCH_STUDIES:-10000}
WRK_ROUNDS=${BENCH_WRK_ROUNDS:-3}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
PORT_BASE=${BENCH_PORT_BASE:-18480}
SERVICE_URL="http://127.0.0.1:$PORT_BASE"
FLOOR_URL="http://127.0.0.1:$((PORT_BASE + 1))"
SCRATCH_URL="http://127.0.0.1:$((PORT_BASE + 2))"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$ROOT/bench/results/$STAMP}
mkdir -p "$OUT"
mkdir -p "$ROOT/bench/results" && ln -sfn "$OUT" "$ROOT/bench/results/latest" 2>/dev/null || true
WORK=$(mktemp -d /tmp/consent-bench.XXXXXX)
LOG="$OUT/run.log"

API_DLL=${BENCH_SERVICE_DLL:-src/ConsentService.Api/bin/Release/net10.0/ConsentService.Api.dll}
FLOOR_DLL=bench/ConsentService.Floor/bin/Release/net10.0/ConsentService.Floor.dll
LOADGEN_DLL=bench/ConsentService.LoadGen/bin/Release/net10.0/ConsentService.LoadGen.dll
ENGINE_DLL=bench/ConsentService.Benchmarks/bin/Release/net10.0/ConsentService.Benchmarks.dll

# The service's HS256 identity for this run only: a fresh random key, never stored anywhere but the scratch folder.
SIGNING_KEY=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 48)
ISSUER=consent-service-bench
AUDIENCE=consent-service

STARTED_PIDS=()
say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }
loadgen() { "$DOTNET" "$LOADGEN_DLL" "$@"; }

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$PORT_BASE" $((PORT_BASE + 1)) $((PORT_BASE + 2)); do
  port_free "$port" || { say "port $port is in use; set BENCH_PORT_BASE to a free range"; exit 1; }
done

# Starts the service on $1 with SQLite at $2; prints its pid. Everything as deployed: Production, auth, limiter high.
start_service() {
  local url=$1 db=$2 log=$3
  ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$url" \
  Storage__Provider=Sqlite Storage__Sqlite__Path="$db" \
  Auth__SigningKey="$SIGNING_KEY" Auth__Issuer="$ISSUER" Auth__Audience="$AUDIENCE" \
  RateLimiting__PermitsPerSecond=1000000 RateLimiting__Burst=1000000 \
  Logging__LogLevel__Default=Warning \
    "$DOTNET" "$API_DLL" >"$log" 2>&1 &
  local pid=$!
  STARTED_PIDS+=("$pid")
  echo "$pid"
}

# Waits until $1/healthz/ready answers 200; prints the seconds since $2 (date +%s%N at launch), or fails.
wait_ready() {
  local url=$1 since=$2 pid=$3 limit=${4:-60}
  local deadline=$(( $(date +%s) + limit ))
  while (( $(date +%s) < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/healthz/ready" 2>/dev/null) == 200 ]]; then
      awk -v a="$since" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
      return 0
    fi
    sleep 0.01
  done
  return 1
}

rss_bytes() { awk -v f="$2:" '$1 == f { print $2 * 1024 }' "/proc/$1/status" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------------------------
say "results in $OUT"
if ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk from Debian packages"
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq wrk >>"$LOG" 2>&1
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >>"$LOG" 2>&1; fi
fi
command -v wrk >/dev/null 2>&1 || say "wrk is not available: the single-decision rows will read n/a"

say "building Release (service, and the bench projects with warnings as errors)"
if [[ -z ${BENCH_SERVICE_DLL:-} ]]; then
  "$DOTNET" build src/ConsentService.Api/ConsentService.Api.csproj -c Release -nologo -v q >>"$LOG" 2>&1 \
    || { say "the service does not build; see $LOG"; exit 1; }
else
  say "measuring $BENCH_SERVICE_DLL"
fi
for project in ConsentService.Benchmarks ConsentService.Floor ConsentService.LoadGen; do
  "$DOTNET" build "bench/$project/$project.csproj" -c Release -nologo -v q -warnaserror >>"$LOG" 2>&1 \
    || { say "bench/$project does not build; see $LOG"; exit 1; }
done

TOKEN=$(loadgen token --key "$SIGNING_KEY" --issuer "$ISSUER" --audience "$AUDIENCE" --sub bench-loadgen \
  --scope "ai-training.decide system/Consent.cruds system/ImagingStudy.cruds system/AuditEvent.rs")

# 1. Engine micro-benchmarks first, while nothing else of ours runs.
if [[ ${BENCH_SKIP_ENGINE:-0} != 1 ]]; then
  say "engine micro-benchmarks (BenchmarkDotNet, short in-process job)"
  BENCH_ARTIFACTS="$WORK/engine" timeout 600 "$DOTNET" "$ENGINE_DLL" >"$OUT/engine.log" 2>&1 \
    || say "engine benchmarks failed; see $OUT/engine.log"
  cp "$WORK"/engine/results/*-report-brief.json "$WORK"/engine/results/*.csv "$OUT"/ 2>/dev/null || true
  grep -E '^\|' "$OUT/engine.log" | tee -a "$LOG" >&2 || true
fi

# 2. Start-up time and idle memory, on an empty store: three starts, idle RSS read 10 s after the last is ready.
say "start-up time and idle RSS (empty store)"
startups=()
for run in 1 2 3; do
  rm -rf "$WORK/empty"; mkdir -p "$WORK/empty"
  t0=$(date +%s%N)
  pid=$(start_service "$SCRATCH_URL" "$WORK/empty/consents.db" "$OUT/startup-$run.log")
  if seconds=$(wait_ready "$SCRATCH_URL" "$t0" "$pid" 60); then
    startups+=("$seconds")
    if [[ $run == 3 ]]; then
      sleep 10
      printf '{"rssBytes": %s}\n' "$(rss_bytes "$pid" VmRSS)" >"$OUT/idle.json"
    fi
  else
    say "the service did not become ready (run $run); see $OUT/startup-$run.log"
    tail -5 "$OUT/startup-$run.log" >&2
  fi
  stop_pid "$pid"
done
(IFS=,; printf '{"seconds": [%s]}\n' "${startups[*]}") >"$OUT/startup.json"

# 3. The service under test, on a fresh store.
say "starting the service (Production, HS256 auth, durable audit) on $SERVICE_URL"
mkdir -p "$WORK/db"
t0=$(date +%s%N)
SERVICE_PID=$(start_service "$SERVICE_URL" "$WORK/db/consents.db" "$OUT/service.log")
wait_ready "$SERVICE_URL" "$t0" "$SERVICE_PID" 60 >/dev/null \
  || { say "the service did not start; see $OUT/service.log"; tail -20 "$OUT/service.log" >&2; loadgen report --dir "$OUT"; exit 1; }

say "seeding $SEED_PATIENTS patients x 10 studies"
loadgen seed --url "$SERVICE_URL" --token "$TOKEN" --patients "$SEED_PATIENTS" --per-patient 10 --out "$WORK/seed" 2>&1 | tee -a "$LOG" >&2
cp "$WORK/seed/seed.json" "$OUT/" 2>/dev/null || true
SINGLE_STUDIES="$WORK/seed/single-studies.txt"

# The floor answers what the service answers: a real decision captured now, replayed with a fresh id.
first_study=$(head -1 "$SINGLE_STUDIES" 2>/dev/null)
decide_status=$(curl -s -o "$WORK/service-response.json" -w '%{http_code}' -X POST "$SERVICE_URL/api/v1/decisions" \
  -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
  -d "{\"study\":\"$first_study\",\"actor\":\"Organization/acme-ai\"}")
# Is the token checked at all? A build without authentication answers 200 without one; the table says so.
anonymous_status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$SERVICE_URL/api/v1/decisions" \
  -H 'Content-Type: application/json' -d "{\"study\":\"$first_study\",\"actor\":\"Organization/acme-ai\"}")
printf '{"anonymousStatus": %s, "enforced": %s}\n' "$anonymous_status" \
  "$([[ $anonymous_status == 401 ]] && echo true || echo false)" >"$OUT/auth.json"
[[ $anonymous_status == 401 ]] || say "this build answers $anonymous_status without a token: authentication is not enforced"

floor_env=()
if [[ $decide_status == 200 ]]; then
  floor_env=(FLOOR_RESPONSE_FILE="$WORK/service-response.json")
  cp "$WORK/service-response.json" "$OUT/"
else
  say "a single decision answered $decide_status; the floor answers its built-in typical decision"
fi

say "starting the floor endpoint on $FLOOR_URL"
env "${floor_env[@]}" ASPNETCORE_URLS="$FLOOR_URL" ASPNETCORE_ENVIRONMENT=Production \
  "$DOTNET" "$FLOOR_DLL" >"$OUT/floor.log" 2>&1 &
FLOOR_PID=$!
STARTED_PIDS+=("$FLOOR_PID")
wait_ready "$FLOOR_URL" "$(date +%s%N)" "$FLOOR_PID" 30 >/dev/null || say "the floor endpoint did not start; see $OUT/floor.log"
floor_bytes=$(curl -s -X POST "$FLOOR_URL/api/v1/decisions" -H 'Content-Type: application/json' \
  -d "{\"study\":\"$first_study\",\"actor\":\"Organization/acme-ai\"}" | wc -c)
service_bytes=$(wc -c <"$WORK/service-response.json" 2>/dev/null || echo 0)
printf '{"service": %s, "floor": %s}\n' "$service_bytes" "$floor_bytes" >"$OUT/sizes.json"

# 4. Single decisions: service and floor alternating in the same run, after a short warm-up of each.
run_wrk() {
  local url=$1 seconds=$2 out=$3
  wrk -t2 -c"$CONNECTIONS" -d"${seconds}s" --latency -s bench/decide.lua "$url" -- "$SINGLE_STUDIES" "$TOKEN" \
    >"$out.txt" 2>&1
  grep -m1 '^{"wrk":1' "$out.txt" >"$out.json" || rm -f "$out.json"
}
if command -v wrk >/dev/null 2>&1 && [[ $decide_status == 200 ]]; then
  say "wrk warm-up (3 s each)"
  run_wrk "$SERVICE_URL" 3 "$WORK/warm-service"
  run_wrk "$FLOOR_URL" 3 "$WORK/warm-floor"
  for round in $(seq 1 "$WRK_ROUNDS"); do
    say "wrk round $round/$WRK_ROUNDS: service, then floor (${WRK_SECONDS} s each, $CONNECTIONS connections)"
    run_wrk "$SERVICE_URL" "$WRK_SECONDS" "$OUT/wrk-service-$round"
    run_wrk "$FLOOR_URL" "$WRK_SECONDS" "$OUT/wrk-floor-$round"
    cat "$OUT/wrk-service-$round.json" "$OUT/wrk-floor-$round.json" 2>/dev/null | tee -a "$LOG" >&2
  done
elif [[ $decide_status != 200 ]]; then
  say "single decisions answered $decide_status; skipping wrk"
fi
stop_pid "$FLOOR_PID"

# 5. One batch of 10,000 studies, end to end (one warm-up, three timed).
say "batch of $BATCH_STUDIES studies"
loadgen batch --url "$SERVICE_URL" --token "$TOKEN" --studies-file "$WORK/seed/studies.txt" --count "$BATCH_STUDIES" \
  --rounds 3 --out "$OUT/batch.json" 2>&1 | cut -c1-300 | tee -a "$LOG" >&2

# 6. Bulk load through transaction bundles, then the cohort over everything registered.
say "bulk load: $COHORT_STUDIES studies (and their patients' consents) in transaction bundles of up to 10,000 entries"
BULK_DEADLINE=${BENCH_BULK_DEADLINE:-900}
timeout $((BULK_DEADLINE + 300)) "$DOTNET" "$LOADGEN_DLL" bulk --url "$SERVICE_URL" --token "$TOKEN" --studies "$COHORT_STUDIES" \
  --bundle-entries 10000 --concurrency 2 --deadline-seconds "$BULK_DEADLINE" --out "$OUT/bulk.json" 2>&1 | tee -a "$LOG" >&2
bulk_studies=$(awk -F: '/"studies"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$OUT/bulk.json" 2>/dev/null)
registered=$(( ${bulk_studies:-0} + SEED_PATIENTS * 10 ))
say "service RSS after the bulk load: $(( $(rss_bytes "$SERVICE_PID" VmRSS) / 1048576 )) MiB"

say "cohort over $registered registered studies"
cohort_args=()
[[ -n ${BENCH_COHORT_FILTER:-} ]] && cohort_args=(--filter "$BENCH_COHORT_FILTER")
COHORT_DEADLINE=${BENCH_COHORT_DEADLINE:-240}
timeout $((COHORT_DEADLINE + 60)) "$DOTNET" "$LOADGEN_DLL" cohort --url "$SERVICE_URL" --token "$TOKEN" --pid "$SERVICE_PID" \
  --deadline-seconds "$COHORT_DEADLINE" --studies-registered "$registered" "${cohort_args[@]}" --out "$OUT/cohort.json" 2>&1 | cut -c1-400 | tee -a "$LOG" >&2

# The service must have survived all of it.
kill -0 "$SERVICE_PID" 2>/dev/null || say "the service exited during the run; see $OUT/service.log"
stop_pid "$SERVICE_PID"

echo
echo "ConsentService make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null)${BENCH_SERVICE_DLL:+, service build $BENCH_SERVICE_DLL}"
loadgen report --dir "$OUT" | tee "$OUT/summary.txt"
echo "(stage results and logs: $OUT)"
