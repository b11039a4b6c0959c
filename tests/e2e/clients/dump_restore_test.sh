#!/usr/bin/env bash
# A mariadb-dump file restored through sealgate with the mariadb client: the
# dump's LOCK TABLES ... ALTER TABLE ... DISABLE KEYS must run as they do
# directly, and the restored rows must equal the dumped ones (NULLs, 4-byte
# UTF-8, quotes, binary data).
set -euo pipefail
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$SEALGATE_SCRATCH_DIR"
log=$SEALGATE_SCRATCH_DIR/sealgate-dump-$port.log
dump=$SEALGATE_SCRATCH_DIR/dump-$port.sql
"$SEALGATE_BINARY" --listen 127.0.0.1:$port --upstream $SEALGATE_TEST_HOST:$SEALGATE_TEST_PORT \
  --http 127.0.0.1:0 --admin-user "$SEALGATE_TEST_USER" --admin-password "$SEALGATE_TEST_PASSWORD" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

auth=(-u"$SEALGATE_TEST_USER" -p"$SEALGATE_TEST_PASSWORD" --default-character-set=utf8mb4)
direct() { mariadb --no-defaults -h"$SEALGATE_TEST_HOST" -P"$SEALGATE_TEST_PORT" "${auth[@]}" --batch "$@"; }
proxied() { mariadb --no-defaults -h127.0.0.1 -P"$port" "${auth[@]}" --batch "$@"; }

direct <<'SQL'
DROP DATABASE IF EXISTS dump_e2e_src;
DROP DATABASE IF EXISTS dump_e2e_dst;
CREATE DATABASE dump_e2e_src CHARACTER SET utf8mb4;
CREATE DATABASE dump_e2e_dst CHARACTER SET utf8mb4;
USE dump_e2e_src;
CREATE TABLE dump_e2e_src.t (
  id INT PRIMARY KEY AUTO_INCREMENT,
  v VARCHAR(60) CHARACTER SET utf8mb4 NULL,
  n INT NULL,
  b VARBINARY(16) NULL,
  KEY by_n (n)
) ENGINE=InnoDB;
INSERT INTO dump_e2e_src.t (v, n, b) VALUES
  ('plain', 1, 0x00ff10),
  (NULL, NULL, NULL),
  ('😀 emoji and café', 3, ''),
  ('quote '' and \\ backslash', -4, 0x27),
  ('line\nbreak\ttab', 5, NULL),
  ('', 0, 0x5c00);
INSERT INTO dump_e2e_src.t (v, n) SELECT CONCAT('row ', seq, ' 🚀'), IF(seq % 7 = 0, NULL, seq) FROM seq_1_to_500;
SQL

mariadb-dump --no-defaults -h"$SEALGATE_TEST_HOST" -P"$SEALGATE_TEST_PORT" "${auth[@]}" dump_e2e_src t >"$dump"
# The statements this test is about are in the file.
grep -q 'LOCK TABLES `t` WRITE' "$dump" || { echo "dump has no LOCK TABLES"; exit 1; }
grep -q 'ALTER TABLE `t` DISABLE KEYS' "$dump" || { echo "dump has no DISABLE KEYS"; exit 1; }

if ! out=$(proxied dump_e2e_dst <"$dump" 2>&1); then
  echo "restore through sealgate failed: $out"; echo "--- sealgate log"; cat "$log"; exit 1
fi

rows() { direct -e "SELECT id, HEX(v), n, HEX(b) FROM $1.t ORDER BY id"; }
src=$(rows dump_e2e_src)
dst=$(rows dump_e2e_dst)
if [[ "$src" != "$dst" ]]; then
  echo "restored rows differ"; diff <(echo "$src") <(echo "$dst") | head -20; exit 1
fi
[[ $(echo "$dst" | wc -l) -eq 507 ]] || { echo "expected 506 rows and a header, got $(echo "$dst" | wc -l) lines"; exit 1; }
[[ $(direct -N -e "SELECT v FROM dump_e2e_dst.t WHERE id = 3") == '😀 emoji and café' ]] || { echo "4-byte UTF-8 value changed"; exit 1; }
[[ $(direct -N -e "SELECT COUNT(*) FROM dump_e2e_dst.t WHERE v IS NULL AND n IS NULL AND b IS NULL") == 1 ]] || { echo "NULLs changed"; exit 1; }
# Same table definition, and nothing was staged for the key toggles.
sc=$(direct -N -e "SHOW CREATE TABLE dump_e2e_src.t")
dc=$(direct -N -e "SHOW CREATE TABLE dump_e2e_dst.t")
[[ "$sc" == "$dc" ]] || { echo "table definitions differ: $sc vs $dc"; exit 1; }
[[ $(direct -N -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'dump_e2e_dst' AND TABLE_NAME LIKE '~%'") == 0 ]] \
  || { echo "shadow or old tables left in dump_e2e_dst"; exit 1; }

direct -e "DROP DATABASE dump_e2e_src; DROP DATABASE dump_e2e_dst"
echo "mariadb-dump restored through sealgate: $(($(echo "$dst" | wc -l) - 1)) rows identical"
