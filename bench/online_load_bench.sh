#!/usr/bin/env bash
# An online schema change under client load (issue #8), on one MariaDB and one
# sysbench table in one run: sysbench oltp_read_write at a fixed rate goes
# through sealgate in every phase, and each phase changes the table a
# different way while it runs:
#   baseline  the load alone;
#   native    ALTER ... ADD COLUMN, FORCE, ALGORITHM=INPLACE, LOCK=NONE, straight to the server;
#   pt-osc    pt-online-schema-change, straight to the server;
#   sealgate  the same ALTER as pt-osc, as a plain statement through the proxy
#             (an implicit deploy: staged, then sealed; it returns when sealed).
# Each ALTER starts a few seconds after its load and the load ends a few
# seconds after it; the figures are taken from sysbench's per-second lines
# that overlap the ALTER. With "sweep", the sealgate phase is then repeated at
# increasing rates.
# Usage: bench/online_load_bench.sh [ROWS] [RATE] [BASELINE_SECONDS] [all|sweep|sweep-only]
# BENCH_SEALGATE_FLAGS: extra sealgate flags, e.g. "--seal-verify-checksum false".
# BENCH_GENTLE_RATIO (3): the sealgate ALTER is run once more in a deploy with
# this THROTTLE RATIO (0: not).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
rate=${2:-500}
baseline_secs=${3:-30}
mode=${4:-all}
sweep_rates=${BENCH_SWEEP_RATES:-250 500 1000 1500 2000}
alter_limit=${BENCH_ALTER_LIMIT:-600}   # seconds an ALTER may take before the phase is abandoned
lead=5 tail=5                           # seconds of load before and after each ALTER
case $mode in all|sweep|sweep-only) ;; *) echo "usage: $0 [ROWS] [RATE] [BASELINE_SECONDS] [all|sweep|sweep-only]" >&2; exit 2 ;; esac

# One compile job: the machine has two cores, shared; bench_start's own build is then a no-op.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSEALGATE_TESTS=OFF >/dev/null
cmake --build build -j${BENCH_BUILD_JOBS:-1} --target sealgate >/dev/null
export BENCH_MARIADB_PORT=${BENCH_MARIADB_PORT:-23317}
meta=_sealgate_online_bench
log=build/bench-online-sealgate.log
source bench/lib.sh
# shellcheck disable=SC2086  # the extra flags are words
bench_start ${BENCH_PROXY_PORT:-26044} $log --metadata-schema $meta ${BENCH_SEALGATE_FLAGS:-}

trap 'kill ${load_pid:-} 2>/dev/null || true; kill $proxy_pid 2>/dev/null || true; scripts/mariadb.sh stop $state >/dev/null' EXIT

direct_cli=(mariadb --no-defaults -h127.0.0.1 -P$db_port -usealgate -psealgate --batch --skip-column-names)
proxy_cli=(mariadb --no-defaults -h127.0.0.1 -P$proxy_port -usealgate -psealgate --batch --skip-column-names)
direct() { "${direct_cli[@]}" "$@"; }
proxy() { "${proxy_cli[@]}" "$@"; }
now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a - b}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b}'; }
shape() { direct sbtest -e "SHOW CREATE TABLE sbtest1" | cut -f2- | sed 's/ AUTO_INCREMENT=[0-9]*//'; }

# A fresh start: no sbtest, no deploy state of an earlier run.
direct -e "DROP DATABASE IF EXISTS sbtest; DROP DATABASE IF EXISTS $meta; CREATE DATABASE sbtest"
bench_restart_proxy
common=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=sealgate --mysql-password=sealgate --mysql-db=sbtest
        --tables=1 --table-size=$rows)
echo "preparing sbtest.sbtest1 with $rows rows"
sysbench oltp_read_write "${common[@]}" --mysql-port=$db_port prepare >/dev/null
original_shape=$(shape)

# oltp_read_write that also ends when the file $SB_STOP_FILE appears (so sysbench
# still prints its summary) and names every error it ignores on stderr.
lua=build/bench-online-oltp.lua
cat >$lua <<'LUA'
dofile("/usr/share/sysbench/oltp_read_write.lua")
local stop_file = os.getenv("SB_STOP_FILE")
local oltp_event = event
function event(...)
  local f = io.open(stop_file)
  if f then f:close(); return true end
  return oltp_event(...)
end
local oltp_restart = sysbench.hooks.before_restart_event
function sysbench.hooks.before_restart_event(e)
  io.stderr:write(string.format("ignored error %d: %s\n", e.sql_errno, e.sql_errmsg))
  oltp_restart(e)
end
LUA

# Starts the load through the proxy at RATE for at most SECONDS (0: until
# stop_load), output in OUT. Sets load_pid and load_t0 (when its threads started;
# its per-second lines count from there).
start_load() {
  local rate=$1 secs=$2 out=$3
  load_out=$out
  load_stop=$out.stop
  rm -f "$load_stop"
  SB_STOP_FILE=$load_stop sysbench $lua "${common[@]}" --mysql-port=$proxy_port --threads=4 --rate=$rate \
    --report-interval=1 --mysql-ignore-errors=all --db-ps-mode=disable --time=$secs run >"$out" 2>&1 &
  load_pid=$!
  until grep -q 'Threads started!' "$out" 2>/dev/null; do
    kill -0 $load_pid 2>/dev/null || { echo "sysbench did not start:" >&2; cat "$out" >&2; exit 1; }
    sleep 0.01
  done
  load_t0=$(now)
}
stop_load() { touch "$load_stop"; wait $load_pid || true; }

# "tps p95 err/s" of each per-second line of FILE whose second overlaps
# [FROM, TO] (seconds since the load started).
window_lines() {
  awk -v from="$2" -v to="$3" '$1 == "[" && $4 == "thds:" {
      t = $2 + 0
      if (t <= from || t - 1 >= to) next
      for (i = 5; i < NF; i++) {
        if ($i == "tps:") tps = $(i + 1)
        if ($i == "(ms,95%):") p95 = $(i + 1)
        if ($i == "err/s:") err = $(i + 1)
      }
      print tps, p95, err
    }' "$1"
}
# "mean_tps median_p95 max_p95 errors seconds" over that window.
window_stats() {
  window_lines "$@" | sort -k2,2g | awk '{tps += $1; err += $3; p[NR] = $2}
    END {
      if (NR == 0) { print "- - - - 0"; exit }
      med = NR % 2 ? p[(NR + 1) / 2] : (p[NR / 2] + p[NR / 2 + 1]) / 2
      printf "%.1f %.2f %.2f %d %d\n", tps / NR, med, p[NR], err + 0.5, NR
    }'
}
# The longest backlog of due transactions (sysbench's "queue length" lines) in
# that window: with --rate a transaction's latency counts from when it was due,
# so once the load falls behind the rate, p95 grows with this backlog.
window_queue_max() {
  awk -v from="$2" -v to="$3" '$1 == "[" && $4 == "queue" {
      t = $2 + 0
      if (t <= from || t - 1 >= to) next
      q = $6 + 0
      if (q > max) max = q
    } END {print max + 0}' "$1"
}
# "ignored_errors fatal_lines codes" of a whole sysbench run (codes: e.g. 1213x2,1205x1).
run_errors() {
  local ignored fatal codes
  ignored=$(awk '$1 == "ignored" && $2 == "errors:" {print $3; exit}' "$1")
  fatal=$(grep -c FATAL "$1" || true)
  codes=$(awk '$1 == "ignored" && $2 == "error" {sub(":", "", $3); n[$3]++}
               END {for (c in n) s = s (s == "" ? "" : ",") c "x" n[c]; print s == "" ? "-" : s}' "$1")
  echo "${ignored:--} $fatal $codes"
}

# CPU. "busy total" jiffies of the whole machine (every process: server, proxy,
# sysbench), and one process's user+system seconds.
machine_jiffies() { awk '$1 == "cpu" {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit}' /proc/stat; }
ncpu=$(nproc)
# Cores busy between two machine_jiffies readings.
busy_cores() {
  awk -v a="$1" -v b="$2" -v n=$ncpu 'BEGIN {split(a, x, " "); split(b, y, " ");
    d = y[2] - x[2]; printf "%.2f", (d > 0 ? n * (y[1] - x[1]) / d : 0)}'
}
proc_cpu() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' /proc/$1/stat 2>/dev/null || echo 0; }
server_pid() { cat $state/mariadb.pid; }
# "machine server proxy" CPU counters now; cpu_delta turns two of them into
# "busy_cores server_core_s proxy_core_s".
cpu_now() { echo "$(machine_jiffies) $(proc_cpu $(server_pid)) $(proc_cpu $proxy_pid)"; }
cpu_delta() {
  local a=($1) b=($2)
  echo "$(busy_cores "${a[0]} ${a[1]}" "${b[0]} ${b[1]}") $(minus ${b[2]} ${a[2]}) $(minus ${b[3]} ${a[3]})"
}

# The proxy's log lines about the copy meeting client locks since line FROM.
proxy_lock_lines() { tail -n +$(($1 + 1)) $log | grep -ciE 'deadlock|lock wait' || true; }
log_lines() { wc -l <$log; }

# Runs ALTER_COMMAND (a program and its arguments) under the load at RATE; sets the
# globals the report prints: alter_s, stats (window_stats), errs (run_errors),
# lock_lines, alter_ok, log_from (the proxy log's length before the phase) and
# tps_before (the load's tps in the seconds before the ALTER).
run_phase() {
  local name=$1 rate=$2 from to t_start t_end
  shift 2
  log_from=$(log_lines)
  start_load $rate $((lead + alter_limit + tail + 30)) build/bench-online-$name.txt
  sleep $lead
  t_start=$(now)
  local c0 c1
  c0=$(cpu_now)
  alter_ok=yes
  timeout $alter_limit "$@" >build/bench-online-$name.alter.log 2>&1 || alter_ok=no
  c1=$(cpu_now)
  t_end=$(now)
  cpu=$(cpu_delta "$c0" "$c1")
  sleep $tail
  stop_load
  alter_s=$(minus $t_end $t_start)
  from=$(minus $t_start $load_t0)
  to=$(minus $t_end $load_t0)
  stats="$(window_stats $load_out $from $to) $(window_queue_max $load_out $from $to)"
  read -r tps_before _ < <(window_stats $load_out 0 $(minus $from 1))
  errs=$(run_errors $load_out)
  lock_lines=$(proxy_lock_lines $log_from)
  if [[ $alter_ok == no ]]; then
    echo "  ($name: the ALTER failed or took more than $alter_limit s:" \
      "$(tail -3 build/bench-online-$name.alter.log | tr '\n' ' '))" >&2
  fi
}

header() {
  printf "%-10s %8s %8s %7s %8s %7s %8s %9s %14s %6s %5s %5s %s\n" phase alter_s tps tps_x p95_med p95_x p95_max \
    queue_max errors_win/run fatal busy srv_cs proxy_lock_msgs
}
# One report line; keeps the phase's figures in fig_<name> ("alter_s tps p95 win ignored fatal").
report() {
  local name=$1 tps p95 max win secs queue ignored fatal codes
  read -r tps p95 max win secs queue <<<"$stats"
  read -r ignored fatal codes <<<"$errs"
  local busy srv_cs
  read -r busy srv_cs _ <<<"$cpu"
  printf "%-10s %8s %8s %7s %8s %7s %8s %9s %14s %6s %5s %5s %s\n" $name $alter_s $tps "$(ratio $tps $base_tps)x" $p95 \
    "$(ratio $p95 $base_p95)x" $max $queue "$win/$ignored" "$fatal" $busy $srv_cs "$lock_lines"
  [[ $codes == - ]] || echo "  ($name: errors ignored by sysbench over the run, by code: $codes)"
  printf -v "fig_${name//[^a-zA-Z0-9]/_}" '%s' "$alter_s $tps $p95 $win $ignored $fatal"
}

restore_shape() {
  direct sbtest -e "$1" || true
  if [[ $(shape) != "$original_shape" ]]; then
    echo "  (table shape not restored after $2:)" >&2
    diff <(echo "$original_shape") <(shape) >&2 || true
  fi
}

# A plain ALTER through the proxy leaves a sealed implicit deploy holding the
# old table for revert: end it, so the table can be changed straight on the server.
finalize_sealed() {
  local name
  # SHOW DEPLOYS names an implicit deploy "(anonymous) NAME".
  proxy -e "SHOW DEPLOYS" | awk -F'\t' '$2 == "sealed" || $2 == "reverted" {sub(/^[(]anonymous[)] /, "", $1); print $1}' |
    while read -r name; do proxy -e "FINALIZE DEPLOY '$name'" >/dev/null; done
}

osc_alter="MODIFY COLUMN pad VARCHAR(80) NOT NULL, ADD COLUMN extra INT NOT NULL DEFAULT 0"
undo_osc_alter="ALTER TABLE sbtest1 DROP COLUMN extra, MODIFY COLUMN pad CHAR(60) NOT NULL DEFAULT ''"
sealgate_alter=("${proxy_cli[@]}" sbtest -e "ALTER TABLE sbtest1 $osc_alter")

# The work itself: each ALTER on the idle server, with the CPU it takes
# (server and proxy core-seconds), and how much CPU the load leaves spare.
if [[ $mode != sweep-only ]]; then
  echo
  echo "the ALTERs on the idle server (no load): wall time and CPU"
  printf "%-10s %8s %10s %10s\n" alter wall_s server_cs proxy_cs
  sleep 2
  for which in native sealgate; do
    c0=$(cpu_now)
    t0=$(now)
    if [[ $which == native ]]; then
      direct sbtest -e "ALTER TABLE sbtest1 ADD COLUMN extra INT NOT NULL DEFAULT 0, FORCE, ALGORITHM=INPLACE, LOCK=NONE"
    else
      "${sealgate_alter[@]}"
    fi
    t1=$(now)
    read -r _ srv_cs proxy_cs <<<"$(cpu_delta "$c0" "$(cpu_now)")"
    printf "%-10s %8s %10s %10s\n" $which $(minus $t1 $t0) $srv_cs $proxy_cs
    printf -v "idle_$which" '%s' "$(minus $t1 $t0) $(awk -v a=$srv_cs -v b=$proxy_cs 'BEGIN {printf "%.2f", a + b}')"
    if [[ $which == native ]]; then
      restore_shape "ALTER TABLE sbtest1 DROP COLUMN extra" "the idle native ALTER"
    else
      finalize_sealed
      restore_shape "$undo_osc_alter" "the idle sealgate ALTER"
    fi
    sleep 2
  done
fi

# Baseline: the load alone (needed by the sweep too, for its ratios).
c0=$(cpu_now)
start_load $rate $baseline_secs build/bench-online-baseline.txt
wait $load_pid || true
cpu=$(cpu_delta "$c0" "$(cpu_now)")
read -r base_busy _ <<<"$cpu"
stats="$(window_stats $load_out 0 1e9) $(window_queue_max $load_out 0 1e9)"
errs=$(run_errors $load_out)
read -r base_tps base_p95 _ <<<"$stats"
alter_s=- lock_lines=-

echo
echo "oltp_read_write through sealgate, 4 threads, --rate=$rate, sbtest1 of $rows rows;" \
  "figures over the per-second lines that overlap each ALTER (baseline: its $baseline_secs s)"
header
report baseline

if [[ $mode != sweep-only ]]; then
  run_phase native $rate "${direct_cli[@]}" sbtest -e \
    "ALTER TABLE sbtest1 ADD COLUMN extra INT NOT NULL DEFAULT 0, FORCE, ALGORITHM=INPLACE, LOCK=NONE"
  report native
  restore_shape "ALTER TABLE sbtest1 DROP COLUMN extra" native

  run_phase pt-osc $rate pt-online-schema-change --alter "$osc_alter" --execute --no-version-check \
    --no-check-replication-filters --recursion-method=none \
    h=127.0.0.1,P=$db_port,u=sealgate,p=sealgate,D=sbtest,t=sbtest1
  report pt-osc
  restore_shape "$undo_osc_alter" pt-osc

  run_phase sealgate $rate "${sealgate_alter[@]}"
  report sealgate
  # Where the ALTER's time went, from the proxy's log.
  tail -n +$((log_from + 1)) $log | grep -E 'migration [0-9]+ started|copy complete|checksum ok|seal hold_ms' |
    sed 's/^/  (proxy: /; s/$/)/' || true

  # The same ALTER in a deploy that rests GENTLE times each chunk's time
  # (ALTER DEPLOY ... THROTTLE RATIO): time traded for the clients' latency.
  gentle=${BENCH_GENTLE_RATIO:-3}
  if [[ $gentle != 0 ]]; then
    finalize_sealed
    [[ $(shape) == "$original_shape" ]] || restore_shape "$undo_osc_alter" "the sealgate ALTER"
    run_phase ratio-$gentle $rate "${proxy_cli[@]}" sbtest -e "BEGIN DEPLOY 'gentle'; ALTER DEPLOY 'gentle' THROTTLE RATIO $gentle;
      ALTER TABLE sbtest1 $osc_alter; COMMIT DEPLOY"
    report ratio-$gentle
    tail -n +$((log_from + 1)) $log | grep -E 'migration [0-9]+ started|copy complete|checksum ok|seal hold_ms' |
      sed 's/^/  (proxy: /; s/$/)/' || true
  fi

  read -r n_wall _ <<<"$fig_native"
  read -r s_wall s_tps s_p95 s_win s_ignored s_fatal <<<"$fig_sealgate"
  verdict() { awk -v v="$1" -v lim="$2" -v op="$3" 'BEGIN {
    if (v == "-") print "FAIL"; else if (op == "le" ? v + 0 <= lim + 0 : v + 0 >= lim + 0) print "PASS"; else print "FAIL" }'; }
  echo
  x=$(ratio $s_wall $n_wall)
  echo "target: sealgate ALTER wall <= 2.5x native INPLACE: $s_wall s vs $n_wall s = ${x}x   $(verdict $x 2.5 le)"
  x=$(ratio $s_tps $base_tps)
  echo "target: tps during the ALTER >= 95% of baseline: $s_tps vs $base_tps = ${x}x   $(verdict $x 0.95 ge)"
  x=$(ratio $s_p95 $base_p95)
  echo "target: median p95 during the ALTER <= 1.5x baseline: $s_p95 ms vs $base_p95 ms = ${x}x   $(verdict $x 1.5 le)"
  if [[ $gentle != 0 ]]; then
    fig="fig_ratio_${gentle//[^a-zA-Z0-9]/_}"
    read -r g_wall _ g_p95 _ <<<"${!fig}"
    echo "  with THROTTLE RATIO $gentle: wall $g_wall s = $(ratio $g_wall $n_wall)x native, median p95" \
      "$(ratio $g_p95 $base_p95)x baseline"
  fi
  n=$(( ${s_win/-/0} + ${s_ignored/-/0} + s_fatal ))
  echo "target: zero client errors: $s_win in the window, $s_ignored over the run, $s_fatal fatal   $( ((n == 0)) && echo PASS || echo FAIL)"
  # The CPU budget: what the load leaves spare, against the work each ALTER is.
  read -r _ work_native <<<"$idle_native"
  read -r _ work_sealgate <<<"$idle_sealgate"
  awk -v n=$ncpu -v busy=$base_busy -v wn=$work_native -v ws=$work_sealgate -v nw=$n_wall 'BEGIN {
    spare = n - busy; t = 2.5 * nw
    printf "\nCPU budget: the load alone keeps %.2f of %d cores busy, %.2f spare. On the idle server native INPLACE\n", busy, n, spare
    printf "is %.2f core-s of work and sealgate %.2f (%.1fx). Within 2.5x native under load (%.1f s), sealgate\n", wn, ws, ws / wn, t
    printf "needs %.2f cores; from the spare cores alone it needs at least %.1f s.\n", ws / t, (spare > 0 ? ws / spare : 0)
  }'
fi

if [[ $mode != all ]]; then
  echo
  echo "sweep: the sealgate ALTER at increasing rates (table restored in between; limit $alter_limit s;" \
    "tps_before: the load's tps in the seconds before the ALTER)"
  printf "%6s %10s %8s %9s %8s %8s %9s %14s %s\n" rate tps_before alter_s tps p95_med p95_max queue_max errors_win/run \
    proxy_lock_msgs
  for r in $sweep_rates; do
    finalize_sealed
    [[ $(shape) == "$original_shape" ]] || restore_shape "$undo_osc_alter" "the sealgate ALTER"
    [[ $(shape) == "$original_shape" ]] || { echo "  (sbtest1 not restored before rate $r; sweep stopped)"; break; }
    run_phase sealgate-$r $r "${sealgate_alter[@]}"
    read -r tps p95 max win _ queue <<<"$stats"
    read -r ignored _ <<<"$errs"
    printf "%6s %10s %8s %9s %8s %8s %9s %14s %s\n" $r $tps_before $alter_s $tps $p95 $max $queue "$win/$ignored" "$lock_lines"
    [[ $alter_ok == yes ]] || { echo "  (the ALTER did not finish at $r tps; sweep stopped)"; break; }
    if [[ $tps == - ]] || awk -v t=$tps -v r=$r 'BEGIN {exit !(t < 0.9 * r)}'; then
      echo "  (sysbench reached $tps of $r tps during the ALTER, $tps_before before it; sweep stopped)"
      break
    fi
  done
fi
echo
echo "(tps_x, p95_x: ratio to the baseline; queue_max: most transactions waiting to start (due at --rate) in one" \
  "second, their wait is part of the latency; errors_win/run: errors in the ALTER's seconds / sysbench's ignored" \
  "errors over the whole phase; proxy_lock_msgs: proxy log lines about lock waits or deadlocks during the phase;" \
  "raw output in build/bench-online-*.txt, proxy log in $log)"
