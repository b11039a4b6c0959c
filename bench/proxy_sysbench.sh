#!/usr/bin/env bash
# Proxy overhead: sysbench oltp_point_select and oltp_read_write at 1, 4, 8, 32
# threads, directly against MariaDB and through sealgate, side by side in one
# run; plus the proxy's CPU per 100k queries and its memory with 1,000 idle
# client connections. Usage: bench/proxy_sysbench.sh [SECONDS_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
source bench/lib.sh
bench_start ${BENCH_PROXY_PORT:-26034} build/bench-sealgate.log

mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate -e "DROP DATABASE IF EXISTS sbtest; CREATE DATABASE sbtest"
common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=sealgate --mysql-password=sealgate --mysql-db=sbtest
        --tables=1 --table-size=100000)
sysbench oltp_read_write "${common[@]}" --mysql-port=$db_port prepare >/dev/null

cpu_ticks() { awk '{print $14 + $15}' /proc/$proxy_pid/stat; }
hz=$(getconf CLK_TCK)

printf "%-18s %4s %12s %12s %7s %10s %10s %12s\n" test threads direct_qps proxy_qps ratio direct_p95 proxy_p95 cpu_s/100kq
for test in oltp_point_select oltp_read_write; do
  for threads in 1 4 8 32; do
    run() { sysbench $test "${common[@]}" --mysql-port=$1 --threads=$threads --time=$secs --report-interval=0 \
              --db-ps-mode=disable run; }
    d=$(run $db_port)
    before=$(cpu_ticks)
    p=$(run $proxy_port)
    after=$(cpu_ticks)
    dq=$(echo "$d" | awk '/queries:/ {gsub(/[(]/,"",$3); print $3}')
    pq=$(echo "$p" | awk '/queries:/ {gsub(/[(]/,"",$3); print $3}')
    ptotal=$(echo "$p" | awk '/queries:/ {print $2}')
    d95=$(echo "$d" | awk '/95th percentile:/ {print $3}')
    p95=$(echo "$p" | awk '/95th percentile:/ {print $3}')
    perr=$(echo "$p" | awk '/ignored errors:/ {print $3}')
    ratio=$(awk -v a="$pq" -v b="$dq" 'BEGIN {printf "%.2f", a / b}')
    cpu=$(awk -v t=$((after - before)) -v hz=$hz -v q="$ptotal" 'BEGIN {printf "%.3f", t / hz / q * 100000}')
    printf "%-18s %4s %12s %12s %7s %10s %10s %12s\n" $test $threads "$dq" "$pq" "${ratio}x" "$d95" "$p95" "$cpu"
    [[ $perr == 0 ]] || echo "  (proxy run reported $perr ignored errors)"
  done
done

# Memory: RSS of the proxy with 1,000 idle client connections (each with its upstream connection).
rss() { awk '/VmRSS/ {print $2}' /proc/$proxy_pid/status; }
idle_before=$(rss)
/usr/bin/python3 - "$proxy_port" "$proxy_pid" <<'PY'
import sys, time, pymysql
port, pid = int(sys.argv[1]), sys.argv[2]
conns = [pymysql.connect(host="127.0.0.1", port=port, user="sealgate", password="sealgate") for _ in range(1000)]
time.sleep(1)
rss = [l for l in open("/proc/%s/status" % pid) if l.startswith("VmRSS")][0].split()[1]
print("idle connections: 1000, proxy RSS %.1f MB" % (int(rss) / 1024))
for c in conns:
    c.close()
PY
echo "proxy RSS before: $((idle_before / 1024)) MB"
