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
#
# DIR holds data/ (the datadir), tmp/ (the server's own --tmpdir), the socket,
# pid file and logs. data/ is initialised in a temporary folder inside DIR and
# moved into place only once complete: a killed or failed initialisation
# leaves no data/ that every later start would trip over. A data/ without
# this script's marker that no server ever ran on (no binlog index) is such a
# leftover from before, and is initialised again.
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
  mkdir -p "$dir/tmp"
  if [[ -d $dir/data && ! -f $dir/data/sealgate-initialised && ! -f $dir/data/binlog.index ]]; then
    echo "mariadb.sh: $dir/data was never started (left by a cut-short initialisation?): initialising it again" >&2
    rm -rf "$dir/data"
  fi
  if [[ ! -d $dir/data ]]; then
    rm -rf "$dir"/data.init.*  # what an initialisation killed before ours left
    staging=$(mktemp -d "$dir/data.init.XXXXXX")
    if ! mariadb-install-db --no-defaults --datadir="$staging" --tmpdir="$dir/tmp" --user="$(id -un)" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1; then
      rm -rf "$staging"
      echo "mariadb.sh: mariadb-install-db failed, see $dir/install.log" >&2; exit 1
    fi
    touch "$staging/sealgate-initialised"
    mv "$staging" "$dir/data"
  fi
  mariadbd --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --user="$(id -un)" \
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
