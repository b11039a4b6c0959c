#!/usr/bin/env bash
# The seal and the revert under load: while sysbench oltp_write_only runs
# through sealgate, stage and seal deploys of 1, 5 and 10 tables, then revert
# each (REVERT DEPLOY), and report both hold durations, the clients' p99 and
# max latency over the run, and the errors clients saw.
# Usage: bench/seal_bench.sh [ROWS_PER_TABLE] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-20000}
rate=${2:-300}
source bench/lib.sh
bench_start ${BENCH_PROXY_PORT:-26035} build/bench-seal.log --metadata-schema _sealgate_bench

cli() { mariadb --no-defaults -h127.0.0.1 -P$proxy_port -usealgate -psealgate --batch --skip-column-names "$@"; }
cli -e "DROP DATABASE IF EXISTS sealbench; CREATE DATABASE sealbench"
mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate -e "DROP DATABASE IF EXISTS _sealgate_bench"
bench_restart_proxy   # on a fresh metadata schema
common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=sealgate --mysql-password=sealgate --mysql-db=sealbench
        --tables=10 --table-size=$rows)
sysbench oltp_write_only "${common[@]}" --mysql-port=$db_port --threads=4 prepare >/dev/null

printf "%-7s %8s %10s %10s %12s %12s %8s %8s %9s\n" tables hold_ms revert_ms attempts p99_ms max_ms errors seal_s revert_s
for n in 1 5 10; do
  out=build/bench-seal-$n.txt
  sysbench oltp_write_only "${common[@]}" --mysql-port=$proxy_port --threads=4 --rate=$rate --time=30 \
    --report-interval=1 --percentile=99 --db-ps-mode=disable --mysql-ignore-errors=none run >"$out" 2>&1 &
  sb=$!
  sleep 3
  sql="BEGIN DEPLOY 'bench_$n';"
  for i in $(seq 1 $n); do sql+=" ALTER TABLE sbtest$i ADD COLUMN seal_$n INT NOT NULL DEFAULT 0;"; done
  start=$(date +%s.%N)
  cli sealbench -e "$sql COMMIT DEPLOY;" >/dev/null
  seal_s=$(awk -v s=$start -v e=$(date +%s.%N) 'BEGIN {printf "%.2f", e - s}')
  read -r hold attempts < <(cli -e "SHOW DEPLOYS" | awk -F'\t' -v d="bench_$n" '$1 == d {print $8, $7}')
  sleep 5   # writes after the seal, replicated back to the old tables
  start=$(date +%s.%N)
  cli sealbench -e "REVERT DEPLOY 'bench_$n'" >/dev/null
  revert_s=$(awk -v s=$start -v e=$(date +%s.%N) 'BEGIN {printf "%.2f", e - s}')
  read -r revert_hold < <(cli -e "SHOW DEPLOYS" | awk -F'\t' -v d="bench_$n" '$1 == d {print $8}')
  wait $sb || true
  cli -e "FINALIZE DEPLOY 'bench_$n'" >/dev/null
  p99=$(awk '/^\[/ {for (i=1;i<=NF;i++) if ($i=="lat" && $(i+1)=="(ms,99%):") print $(i+2)}' "$out" | sort -g | tail -1)
  max=$(awk '$1 == "max:" {print $2; exit}' "$out")
  errs=$(( $(awk '$1 == "ignored" && $2 == "errors:" {print $3; exit}' "$out") + $(grep -c FATAL "$out" || true) ))
  phases=$(grep "deploy=bench_$n seal hold_ms" build/bench-seal.log | sed 's/.*hold_ms=[0-9]* //')
  printf "%-7s %8s %10s %10s %12s %12s %8s %8s %9s   %s\n" $n "$hold" "$revert_hold" "$attempts" "$p99" "$max" "$errs" \
    "$seal_s" "$revert_s" "$phases"
done
echo "(p99_ms: worst per-second p99 during the 30 s run; max_ms: largest single statement latency)"
