# Shared set-up of the benchmarks (sourced): installs what is missing, builds
# build/sealgate (Release), starts the private benchmark MariaDB, and starts
# sealgate in front of it. Defines db_port, proxy_port, proxy_pid, state and
# stops both on exit. Call: bench_start PROXY_PORT LOG [extra sealgate flags...]
# BENCH_SKIP_BUILD=1: no build; the existing build/sealgate is used as it is.
bench_start() {
  local port=$1 log=$2
  shift 2
  scripts/deps.sh bench >/dev/null
  if [[ ${BENCH_SKIP_BUILD:-0} == 1 ]]; then
    [[ -x build/sealgate ]] || { echo "BENCH_SKIP_BUILD=1 but there is no build/sealgate" >&2; return 1; }
  else
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSEALGATE_TESTS=OFF >/dev/null
    cmake --build build -j2 --target sealgate >/dev/null
  fi
  state=build/bench-mariadb
  db_port=${BENCH_MARIADB_PORT:-23307}
  proxy_port=$port
  MARIADB_EXTRA_ARGS="--max-connections=3000 --innodb-buffer-pool-size=512M" scripts/mariadb.sh start $state $db_port >/dev/null
  bench_proxy_log=$log
  bench_proxy_args=("$@")
  bench_restart_proxy
  trap 'kill $proxy_pid 2>/dev/null || true; scripts/mariadb.sh stop $state >/dev/null' EXIT
}

# (Re)starts sealgate with the flags given to bench_start.
bench_restart_proxy() {
  if [[ -n ${proxy_pid:-} ]]; then kill $proxy_pid 2>/dev/null || true; wait $proxy_pid 2>/dev/null || true; fi
  build/sealgate --listen 127.0.0.1:$proxy_port --upstream 127.0.0.1:$db_port --http 127.0.0.1:0 \
    --admin-user sealgate --admin-password sealgate "${bench_proxy_args[@]}" >"$bench_proxy_log" 2>&1 &
  proxy_pid=$!
  for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$proxy_port) 2>/dev/null && break; sleep 0.05; done
}
