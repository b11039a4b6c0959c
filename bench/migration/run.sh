#!/usr/bin/env bash
# Backfill benchmark (issue 4): one 1,000,000-row sysbench table, in one run:
#   native ALTER TABLE ... ALGORITHM=COPY, sealgate backfill to staged,
#   pt-online-schema-change (if installed).
# Usage: bench/migration/run.sh BUILD_DIR [ROWS]
# Starts its own MariaDB (scripts/mariadb.sh) in BUILD_DIR/bench-mig-db on a
# free port (or $BENCH_PORT) and stops it at the end.
# BASELINE_BENCH=path/to/another/migration_bench also times that build's
# backfill in the same run (before/after comparisons).
set -euo pipefail
build=${1:?build dir with migration_bench}
rows=${2:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$build/bench-mig-db
port=${BENCH_PORT:-}
[[ -n $port ]] || port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
MARIADB_EXTRA_ARGS="--innodb-buffer-pool-size=1G --innodb-log-file-size=512M --max-connections=200" \
  "$root/scripts/mariadb.sh" start "$dir" "$port" 1 >/dev/null
trap '"$root/scripts/mariadb.sh" stop "$dir" >/dev/null' EXIT
my() { mariadb --no-defaults -h127.0.0.1 -P"$port" -usealgate -psealgate "$@"; }
my -e "DROP DATABASE IF EXISTS sbtest; CREATE DATABASE sbtest CHARACTER SET utf8mb4"
sysbench oltp_read_write --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" --mysql-user=sealgate \
  --mysql-password=sealgate --mysql-db=sbtest --tables=1 --table-size="$rows" prepare >/dev/null
now() { date +%s.%N; }

t0=$(now)
my sbtest -e "ALTER TABLE sbtest1 ADD COLUMN native_col INT NOT NULL DEFAULT 0, ALGORITHM=COPY"
native=$(echo "$(now) - $t0" | bc)
echo "native_alter_copy_seconds $native"

out=$(/usr/bin/time -f "%U %S" -o "$dir/sealgate.time" "$build/tests/migration/migration_bench" 127.0.0.1 "$port" \
  sealgate sealgate sbtest "ALTER TABLE sbtest1 ADD COLUMN sealgate_col INT NOT NULL DEFAULT 0")
echo "$out process_cpu_seconds $(awk '{print $1 + $2}' "$dir/sealgate.time")"
sealgate=$(echo "$out" | awk '{print $2}')
echo "ratio_sealgate_to_native $(echo "scale=2; $sealgate / $native" | bc)"
if [[ -n ${BASELINE_BENCH:-} ]]; then
  base_out=$(/usr/bin/time -f "%U %S" -o "$dir/baseline.time" "$BASELINE_BENCH" 127.0.0.1 "$port" sealgate sealgate \
    sbtest "ALTER TABLE sbtest1 ADD COLUMN baseline_col INT NOT NULL DEFAULT 0")
  echo "baseline: $base_out process_cpu_seconds $(awk '{print $1 + $2}' "$dir/baseline.time")"
  base=$(echo "$base_out" | awk '{print $2}')
  echo "ratio_baseline_to_native $(echo "scale=2; $base / $native" | bc)"
fi

if command -v pt-online-schema-change >/dev/null; then
  t0=$(now)
  pt-online-schema-change --alter "ADD COLUMN ptosc_col INT NOT NULL DEFAULT 0" \
    h=127.0.0.1,P="$port",u=sealgate,p=sealgate,D=sbtest,t=sbtest1 --execute --no-drop-old-table \
    --no-swap-tables --no-drop-triggers --no-check-replication-filters --recursion-method=none \
    --chunk-time=0.5 >/dev/null
  ptosc=$(echo "$(now) - $t0" | bc)
  echo "ptosc_seconds $ptosc"
  echo "ratio_sealgate_to_ptosc $(echo "scale=2; $sealgate / $ptosc" | bc)"
  my sbtest -e "DROP TRIGGER IF EXISTS pt_osc_sbtest_sbtest1_ins; DROP TRIGGER IF EXISTS pt_osc_sbtest_sbtest1_upd;
    DROP TRIGGER IF EXISTS pt_osc_sbtest_sbtest1_del; DROP TABLE IF EXISTS _sbtest1_new"
fi

# Write rate a staged migration follows: sysbench oltp_write_only against the
# table while a migration of it stays staged; the largest lag measured.
if [[ ${SKIP_WRITE_RATE:-0} != 1 ]]; then
  for threads in 1 4 16; do
    ready=$dir/ready.$threads
    rm -f "$ready"
    SEALGATE_BENCH_READY_FILE=$ready "$build/tests/migration/migration_bench" 127.0.0.1 "$port" sealgate sealgate \
      sbtest "ALTER TABLE sbtest1 ADD COLUMN rate_col INT NOT NULL DEFAULT 0" 40 >"$dir/hold.$threads" &
    bench_pid=$!
    while [[ ! -f $ready ]]; do sleep 0.2; done
    tps=$(sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" \
      --mysql-user=sealgate --mysql-password=sealgate --mysql-db=sbtest --tables=1 --table-size="$rows" \
      --threads="$threads" --time=30 run | awk '/transactions:/ {gsub("[(]", "", $3); print $3}')
    wait $bench_pid
    echo "write_only threads=$threads tps=$tps $(grep staged_hold "$dir/hold.$threads")"
  done
fi
