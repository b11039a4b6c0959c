#!/usr/bin/env bash
# How much of the proxy overhead is sealgate's own: oltp_point_select at 8
# threads directly, through sealgate, and through relay_floor (a relay that
# only copies bytes, bench/relay_floor/relay.cc), alternating ROUNDS times;
# then the same with the server, both relays and sysbench pinned to one CPU,
# where every hand-off between them stays on that CPU.
# Usage: bench/relay_floor.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
source bench/lib.sh
bench_start ${BENCH_PROXY_PORT:-26038} build/bench-floor-sealgate.log --threads 2
c++ -O2 -std=c++20 -pthread bench/relay_floor/relay.cc -o build/relay_floor
relay_port=$((proxy_port + 1))
build/relay_floor $relay_port $db_port 2 &
relay_pid=$!
trap 'kill $proxy_pid $relay_pid 2>/dev/null || true; scripts/mariadb.sh stop $state >/dev/null' EXIT
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$relay_port) 2>/dev/null && break; sleep 0.05; done
mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate -e "DROP DATABASE IF EXISTS sbtest; CREATE DATABASE sbtest"
common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=sealgate --mysql-password=sealgate --mysql-db=sbtest
        --tables=1 --table-size=100000 --threads=8 --time=$secs --db-ps-mode=disable)
sysbench oltp_point_select "${common[@]}" --mysql-port=$db_port prepare >/dev/null

all_cpus=$(taskset -cp $$ | awk '{print $NF}')
server_pid=$(cat $state/mariadb.pid)
pin() { for pid in $server_pid $proxy_pid $relay_pid; do taskset -a -p -c "$1" $pid >/dev/null; done; }
qps() { taskset -c "$pinned" sysbench oltp_point_select "${common[@]}" --mysql-port=$1 run |
          awk '/queries:/ {gsub(/[(]/,"",$3); print $3}'; }
printf "%-9s %-6s %12s %12s %12s %9s %9s\n" cpus round direct sealgate relay_floor sealgate relay
for pinned in "$all_cpus" 0; do
  pin "$pinned"
  for r in $(seq 1 $rounds); do
    d=$(qps $db_port); s=$(qps $proxy_port); f=$(qps $relay_port)
    printf "%-9s %-6s %12s %12s %12s %8.2fx %8.2fx\n" "$pinned" $r $d $s $f \
      $(awk -v a=$s -v b=$d 'BEGIN{print a/b}') $(awk -v a=$f -v b=$d 'BEGIN{print a/b}')
  done
done
