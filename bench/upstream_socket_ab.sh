#!/usr/bin/env bash
# A/B of the upstream transport: oltp_point_select at 8 threads directly, through
# sealgate over TCP to the server, and through sealgate over the server's Unix
# socket (--upstream-socket), alternating ROUNDS times. Usage: bench/upstream_socket_ab.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
source bench/lib.sh
bench_start ${BENCH_PROXY_PORT:-26036} build/bench-ab-tcp.log --threads 2
socket_port=$((proxy_port + 1))
build/sealgate --listen 127.0.0.1:$socket_port --upstream 127.0.0.1:$db_port --http 127.0.0.1:0 \
  --admin-user sealgate --admin-password sealgate --threads 2 --upstream-socket $state/mariadb.sock \
  --metadata-schema _sealgate_ab >build/bench-ab-socket.log 2>&1 &
socket_pid=$!
trap 'kill $proxy_pid $socket_pid 2>/dev/null || true; scripts/mariadb.sh stop $state >/dev/null' EXIT
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$socket_port) 2>/dev/null && break; sleep 0.05; done
mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate -e "DROP DATABASE IF EXISTS sbtest; CREATE DATABASE sbtest"
common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=sealgate --mysql-password=sealgate --mysql-db=sbtest
        --tables=1 --table-size=100000 --threads=8 --time=$secs --db-ps-mode=disable)
sysbench oltp_point_select "${common[@]}" --mysql-port=$db_port prepare >/dev/null
qps() { sysbench oltp_point_select "${common[@]}" --mysql-port=$1 run | awk '/queries:/ {gsub(/[(]/,"",$3); print $3}'; }
printf "%-6s %12s %12s %12s %8s %8s\n" round direct proxy_tcp proxy_unix tcp unix
for r in $(seq 1 $rounds); do
  d=$(qps $db_port); t=$(qps $proxy_port); u=$(qps $socket_port)
  printf "%-6s %12s %12s %12s %7.2fx %7.2fx\n" $r $d $t $u $(awk -v a=$t -v b=$d 'BEGIN{print a/b}') $(awk -v a=$u -v b=$d 'BEGIN{print a/b}')
done
