#!/usr/bin/env bash
# What staging costs while nothing happens: the CPU of the proxy (and of the
# server) with 0, 1, 10 and 50 staged migrations whose tables nobody writes,
# and with 0 and 10 staged migrations under a sysbench write load sent straight
# to the server, so that the proxy's CPU is the staging's own (tailing,
# decoding, applying). CPU is user+system time from /proc/<pid>/stat, as a
# percentage of one core over the measuring interval.
# Usage: bench/staged_idle_bench.sh [SECONDS] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
rate=${2:-200}
source bench/lib.sh
bench_start ${BENCH_PROXY_PORT:-26036} build/bench-idle.log --metadata-schema _sealgate_idle \
  --deploy-max-staged-migrations 100

cli() { mariadb --no-defaults -h127.0.0.1 -P$proxy_port -usealgate -psealgate --batch --skip-column-names "$@"; }
direct() { mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate --batch --skip-column-names "$@"; }
direct -e "DROP DATABASE IF EXISTS idlebench; CREATE DATABASE idlebench; DROP DATABASE IF EXISTS _sealgate_idle"
bench_restart_proxy   # on a fresh metadata schema
for i in $(seq 1 50); do
  echo "CREATE TABLE idlebench.idle$i (id INT PRIMARY KEY, v INT); INSERT INTO idlebench.idle$i SELECT seq, seq FROM seq_1_to_1000;"
done | direct idlebench
load=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-port=$db_port --mysql-user=sealgate --mysql-password=sealgate
      --mysql-db=idlebench --tables=10 --table-size=10000)
sysbench oltp_write_only "${load[@]}" --threads=4 prepare >/dev/null

hz=$(getconf CLK_TCK)
server_pid=$(cat $state/mariadb.pid)
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
# "<proxy %> <server %>" of one core over $secs seconds.
measure() {
  local p0 s0 p1 s1
  p0=$(ticks $proxy_pid); s0=$(ticks $server_pid)
  sleep $secs
  p1=$(ticks $proxy_pid); s1=$(ticks $server_pid)
  echo "$(bc <<< "scale=2; ($p1 - $p0) * 100 / ($hz * $secs)") $(bc <<< "scale=2; ($s1 - $s0) * 100 / ($hz * $secs)")"
}
# stage NAME TABLE_PREFIX COUNT: one deploy altering PREFIX1..PREFIXCOUNT, waited for until all are staged.
stage() {
  local sql="BEGIN DEPLOY '$1';" n=0
  for i in $(seq 1 $3); do sql+=" ALTER TABLE $2$i ADD COLUMN staged_$1 INT;"; done
  cli idlebench -e "$sql END DEPLOY;" >/dev/null
  for _ in $(seq 1 1200); do
    n=$(cli -e "SHOW DEPLOY STATUS '$1'" | awk -F'\t' '$5 == "staged"' | wc -l)
    [[ $n -eq $3 ]] && break
    sleep 0.5
  done
  [[ $n -eq $3 ]] || { echo "deploy $1: only $n of $3 migrations staged" >&2; exit 1; }
  sleep 5  # let the copies' traffic drain
}
row() { printf "%-38s %10s %11s\n" "$1" "$2" "$3"; }
with_load() {  # runs sysbench straight to the server around one measurement
  sysbench oltp_write_only "${load[@]}" --threads=4 --rate=$rate --time=$((secs + 10)) --db-ps-mode=disable \
    run >build/bench-idle-sysbench.txt 2>&1 &
  local sb=$!
  sleep 5
  measure
  wait $sb || true
}

row case proxy_cpu% server_cpu%
row "idle, no deploy" $(measure)
for n in 1 10 50; do
  stage idle_$n idle $n
  row "idle, $n staged migrations" $(measure)
  cli -e "ROLLBACK DEPLOY 'idle_$n'" >/dev/null
done
row "write load $rate tps, no deploy" $(with_load)
stage load_10 sbtest 10
row "write load $rate tps, 10 staged" $(with_load)
tps=$(awk '/transactions:/ {gsub(/[()]/, "", $3); print $3; exit}' build/bench-idle-sysbench.txt)
cli -e "ROLLBACK DEPLOY 'load_10'" >/dev/null
echo "(sysbench oltp_write_only, 4 threads, --rate=$rate straight to the server: $tps tps in the last run;"
echo " CPU in % of one core over $secs s; the proxy has one event loop per core and no clients)"
