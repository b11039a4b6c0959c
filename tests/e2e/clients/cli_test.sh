#!/usr/bin/env bash
# The mariadb command-line client through sealgate: batch output must be
# byte-identical to the same script run directly against the server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$SEALGATE_SCRATCH_DIR"
log=$SEALGATE_SCRATCH_DIR/sealgate-cli-$port.log
"$SEALGATE_BINARY" --listen 127.0.0.1:$port --upstream $SEALGATE_TEST_HOST:$SEALGATE_TEST_PORT \
  --http 127.0.0.1:0 --admin-user "$SEALGATE_TEST_USER" --admin-password "$SEALGATE_TEST_PASSWORD" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

cli() { mariadb --no-defaults -h127.0.0.1 -P"$1" -u"$SEALGATE_TEST_USER" -p"$SEALGATE_TEST_PASSWORD" --batch --default-character-set=utf8mb4 "${@:2}"; }
script=$(cat <<'SQL'
DROP DATABASE IF EXISTS cli_e2e;
CREATE DATABASE cli_e2e CHARACTER SET utf8mb4;
USE cli_e2e;
CREATE OR REPLACE TABLE t (id INT PRIMARY KEY, v VARCHAR(40), d DECIMAL(10,3), n INT NULL);
INSERT INTO t VALUES (1, 'plain', -1.5, NULL), (2, 'tab\there', 12345.678, 7), (3, '😀 four bytes', 0, 0);
SELECT * FROM t ORDER BY id;
BEGIN; UPDATE t SET n = 1 WHERE id = 1; SELECT @@in_transaction; ROLLBACK;
SELECT n FROM t WHERE id = 1;
SHOW CREATE TABLE t;
SELECT SEQ FROM seq_1_to_5;
SQL
)
direct=$(echo "$script" | cli "$SEALGATE_TEST_PORT" 2>&1)
proxied=$(echo "$script" | cli "$port" 2>&1)
if [[ "$direct" != "$proxied" ]]; then
  echo "output differs through sealgate"; diff <(echo "$direct") <(echo "$proxied"); exit 1
fi
[[ $(echo "$proxied" | grep -c '😀 four bytes') -eq 1 ]] || { echo "4-byte UTF-8 row missing"; exit 1; }
# An error: same message and exit status as directly.
set +e
derr=$(cli "$SEALGATE_TEST_PORT" -e "SELECT * FROM cli_e2e.nope" 2>&1); dcode=$?
perr=$(cli "$port" -e "SELECT * FROM cli_e2e.nope" 2>&1); pcode=$?
set -e
[[ "$derr" == "$perr" && $dcode == $pcode && $pcode -ne 0 ]] || { echo "error differs: '$derr' vs '$perr'"; exit 1; }
echo "cli through sealgate: output identical ($(echo "$proxied" | wc -l) lines), errors identical"
