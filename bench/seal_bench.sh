#!/usr/bin/env bash
# The seal and the revert under load: while sysbench oltp_write_only runs
# through sealgate, stage and seal deploys of 1, 5 and 10 tables, then revert
# each (REVERT DEPLOY), and report both hold durations, the clients' p99 and
# max latency over the run, and the errors clients saw.
# Each size runs under three traffic shapes besides the writers:
#   plain      nothing else;
#   idle_tx    three pooled connections through sealgate with autocommit=0,
#              each idle inside a transaction that read another table;
#   long_sel   a report through sealgate: one 40 s SELECT on another table.
# Neither shape may delay the seal or make anyone wait longer.
# Usage: bench/seal_bench.sh [ROWS_PER_TABLE] [RATE] [SHAPES]   (SHAPES: "plain idle_tx long_sel")
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-20000}
rate=${2:-300}
shapes=${3:-plain idle_tx long_sel}
source bench/lib.sh
bench_start ${BENCH_PROXY_PORT:-26035} build/bench-seal.log --metadata-schema _sealgate_bench

cli() { mariadb --no-defaults -h127.0.0.1 -P$proxy_port -usealgate -psealgate --batch --skip-column-names "$@"; }
cli -e "DROP DATABASE IF EXISTS sealbench; CREATE DATABASE sealbench"
mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate -e "DROP DATABASE IF EXISTS _sealgate_bench"
bench_restart_proxy   # on a fresh metadata schema
common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=sealgate --mysql-password=sealgate --mysql-db=sealbench
        --tables=10 --table-size=$rows)
sysbench oltp_write_only "${common[@]}" --mysql-port=$db_port --threads=4 prepare >/dev/null
cli sealbench -e "CREATE TABLE other (id INT PRIMARY KEY, v INT); INSERT INTO other SELECT seq, seq FROM seq_1_to_1000"

# Starts the shape's extra traffic in the background; its pid in $shape_pid (0: none).
start_shape() {
  shape_pid=0
  case $1 in
    idle_tx)
      /usr/bin/python3 - "$proxy_port" <<'PY' &
import sys, time, pymysql
conns = []
for i in range(3):
    c = pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user="sealgate", password="sealgate",
                        database="sealbench", autocommit=False)
    c.cursor().execute("SELECT v FROM other WHERE id = %s", (i + 1,))
    conns.append(c)
time.sleep(40)  # idle inside the transactions
PY
      shape_pid=$! ;;
    long_sel)
      cli sealbench -e "SELECT COUNT(*), SLEEP(40) FROM other" >/dev/null 2>&1 &
      shape_pid=$! ;;
  esac
  sleep 1
}
stop_shape() {
  if ((shape_pid)); then kill $shape_pid 2>/dev/null || true; wait $shape_pid 2>/dev/null || true; fi
  # the report's statement keeps running on the server after its client is gone
  mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate --batch --skip-column-names -e \
    "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT COUNT(*), SLEEP(40)%'" |
    while read -r id; do mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate -e "KILL $id" || true; done
}

printf "%-9s %-7s %8s %10s %10s %12s %12s %8s %8s %9s\n" shape tables hold_ms revert_ms attempts p99_ms max_ms errors seal_s revert_s
for shape in $shapes; do
for n in 1 5 10; do
  tag=${shape}_$n
  out=build/bench-seal-$tag.txt
  sysbench oltp_write_only "${common[@]}" --mysql-port=$proxy_port --threads=4 --rate=$rate --time=30 \
    --report-interval=1 --percentile=99 --db-ps-mode=disable --mysql-ignore-errors=none run >"$out" 2>&1 &
  sb=$!
  start_shape $shape
  sleep 2
  sql="BEGIN DEPLOY 'bench_$tag';"
  for i in $(seq 1 $n); do sql+=" ALTER TABLE sbtest$i ADD COLUMN seal_$tag INT NOT NULL DEFAULT 0;"; done
  start=$(date +%s.%N)
  cli sealbench -e "$sql COMMIT DEPLOY;" >/dev/null
  seal_s=$(awk -v s=$start -v e=$(date +%s.%N) 'BEGIN {printf "%.2f", e - s}')
  read -r hold attempts < <(cli -e "SHOW DEPLOYS" | awk -F'\t' -v d="bench_$tag" '$1 == d {print $8, $7}')
  sleep 5   # writes after the seal, replicated back to the old tables
  start=$(date +%s.%N)
  cli sealbench -e "REVERT DEPLOY 'bench_$tag'" >/dev/null
  revert_s=$(awk -v s=$start -v e=$(date +%s.%N) 'BEGIN {printf "%.2f", e - s}')
  read -r revert_hold < <(cli -e "SHOW DEPLOYS" | awk -F'\t' -v d="bench_$tag" '$1 == d {print $8}')
  wait $sb || true
  stop_shape
  cli -e "FINALIZE DEPLOY 'bench_$tag'" >/dev/null
  p99=$(awk '/^\[/ {for (i=1;i<=NF;i++) if ($i=="lat" && $(i+1)=="(ms,99%):") print $(i+2)}' "$out" | sort -g | tail -1)
  max=$(awk '$1 == "max:" {print $2; exit}' "$out")
  errs=$(( $(awk '$1 == "ignored" && $2 == "errors:" {print $3; exit}' "$out") + $(grep -c FATAL "$out" || true) ))
  phases=$(grep "deploy=bench_$tag seal hold_ms" build/bench-seal.log | sed 's/.*hold_ms=[0-9]* //')
  printf "%-9s %-7s %8s %10s %10s %12s %12s %8s %8s %9s   %s\n" $shape $n "$hold" "$revert_hold" "$attempts" "$p99" \
    "$max" "$errs" "$seal_s" "$revert_s" "$phases"
done
done
echo "(p99_ms: worst per-second p99 during the 30 s run; max_ms: largest single statement latency)"
