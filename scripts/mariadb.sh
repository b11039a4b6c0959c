#!/usr/bin/env bash
# A private MariaDB for sealgate's tests, benchmarks and the run command.
# Own datadir, own loopback port, binlog in ROW format with full row images;
# otherwise the server's defaults. Never touches the system service.
#
#   scripts/mariadb.sh start DIR PORT [SERVER_ID]   start (no-op if already running)
#   scripts/mariadb.sh stop DIR                     stop by pid, wait for exit
#   scripts/mariadb.sh status DIR
#
# Extra server options may be passed in MARIADB_EXTRA_ARGS (benchmarks raise
# max_connections, for example).
#
# After start, the account sealgate@127.0.0.1 / 'sealgate' (ALL WITH GRANT
# OPTION) exists, and root may connect over DIR/mariadb.sock.
set -euo pipefail

cmd=${1:?usage: mariadb.sh start|stop|status DIR [PORT] [SERVER_ID]}
dir=${2:?DIR required}
port=${3:-23306}
server_id=${4:-1}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile=$dir/mariadb.pid
sock=$dir/mariadb.sock

running() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case $cmd in
start)
  if running; then echo "mariadb already running (pid $(cat "$pidfile"), port $port)"; exit 0; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "mariadb.sh: port $port on 127.0.0.1 is already in use by another process; pick another port" >&2
    exit 1
  fi
  if [[ ! -d $dir/data/mysql ]]; then
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 || {
      echo "mariadb.sh: mariadb-install-db failed, see $dir/install.log" >&2; exit 1; }
  fi
  mariadbd --no-defaults --datadir="$dir/data" --user="$(id -un)" \
    --port="$port" --bind-address=127.0.0.1 --socket="$sock" --pid-file="$pidfile" \
    --log-bin="$dir/data/binlog" --binlog-format=ROW --binlog-row-image=FULL \
    --server-id="$server_id" --log-error="$dir/error.log" \
    --skip-name-resolve ${MARIADB_EXTRA_ARGS:-} >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    if mariadb --no-defaults -uroot -S "$sock" -e 'SELECT 1' >/dev/null 2>&1; then break; fi
    if ! kill -0 $! 2>/dev/null; then echo "mariadb.sh: mariadbd exited, see $dir/error.log" >&2; tail -5 "$dir/error.log" >&2; exit 1; fi
    sleep 0.5
  done
  mariadb --no-defaults -uroot -S "$sock" <<'SQL'
CREATE USER IF NOT EXISTS 'sealgate'@'127.0.0.1' IDENTIFIED BY 'sealgate';
GRANT ALL PRIVILEGES ON *.* TO 'sealgate'@'127.0.0.1' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS 'sealgate'@'localhost' IDENTIFIED BY 'sealgate';
GRANT ALL PRIVILEGES ON *.* TO 'sealgate'@'localhost' WITH GRANT OPTION;
SQL
  echo "mariadb running (pid $(cat "$pidfile"), 127.0.0.1:$port, datadir $dir/data)"
  ;;
stop)
  if running; then
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    echo "mariadb stopped"
  else
    echo "mariadb not running"
  fi
  ;;
status)
  if running; then echo "running pid $(cat "$pidfile")"; else echo "stopped"; exit 1; fi
  ;;
*) echo "usage: mariadb.sh start|stop|status DIR [PORT] [SERVER_ID]" >&2; exit 2 ;;
esac
