#!/usr/bin/env bash
# A sqitch deploy (Debian's sqitch, MySQL engine) pointed at sealgate: its plain
# ALTERs become online deploys while an application keeps writing through the
# proxy without a single error.
set -euo pipefail
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$SEALGATE_SCRATCH_DIR/sqitch-$port
mkdir -p "$work"
"$SEALGATE_BINARY" --listen 127.0.0.1:$port --upstream $SEALGATE_TEST_HOST:$SEALGATE_TEST_PORT --http 127.0.0.1:$http \
  --admin-user "$SEALGATE_TEST_USER" --admin-password "$SEALGATE_TEST_PASSWORD" \
  --metadata-schema _sgtest_sqitch_$port >"$work/sealgate.log" 2>&1 &
pid=$!
writer=
trap 'kill $pid 2>/dev/null; [[ -n $writer ]] && kill $writer 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

cli() { mariadb --no-defaults -h127.0.0.1 -P$port -u"$SEALGATE_TEST_USER" -p"$SEALGATE_TEST_PASSWORD" "$@"; }
cli -e "DROP DATABASE IF EXISTS sqitch_e2e; DROP DATABASE IF EXISTS sqitch_e2e_registry;
        CREATE DATABASE sqitch_e2e CHARACTER SET utf8mb4;
        CREATE TABLE sqitch_e2e.widgets (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(40) NOT NULL);
        INSERT INTO sqitch_e2e.widgets (name) SELECT CONCAT('w', seq) FROM sqitch_e2e.seq_1_to_3000;"

# The application: inserts through the proxy, each acknowledged one logged.
/usr/bin/python3 - "$port" "$work/acked" "$work/errors" <<'PY' &
import sys, time, pymysql, os
port, acked, errors = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = pymysql.connect(host="127.0.0.1", port=port, user=os.environ["SEALGATE_TEST_USER"],
                    password=os.environ["SEALGATE_TEST_PASSWORD"], database="sqitch_e2e", autocommit=True)
with open(acked, "w") as a, open(errors, "w") as e:
    deadline = time.time() + 120
    while time.time() < deadline and not os.path.exists(acked + ".stop"):
        try:
            with c.cursor() as cur:
                cur.execute("INSERT INTO widgets (name) VALUES ('live')")
                a.write("%d\n" % cur.lastrowid); a.flush()
        except Exception as ex:
            e.write(repr(ex) + "\n"); e.flush()
        time.sleep(0.005)
PY
writer=$!

cd "$work"
export SQITCH_CONFIG=$work/sqitch.conf
sqitch init shop --engine mysql --target "db:mysql://$SEALGATE_TEST_USER:$SEALGATE_TEST_PASSWORD@127.0.0.1:$port/sqitch_e2e" >/dev/null
sqitch config --bool deploy.verify true >/dev/null
sqitch config engine.mysql.registry sqitch_e2e_registry >/dev/null
sqitch add widget_color -n "Widgets get a color" >/dev/null
cat > deploy/widget_color.sql <<'SQL'
BEGIN;
ALTER TABLE widgets ADD COLUMN color VARCHAR(20) NOT NULL DEFAULT 'blue';
CREATE INDEX widgets_name ON widgets (name);
COMMIT;
SQL
cat > verify/widget_color.sql <<'SQL'
SELECT color FROM widgets WHERE 0;
SQL
cat > revert/widget_color.sql <<'SQL'
ALTER TABLE widgets DROP COLUMN color;
SQL
sqitch deploy
touch "$work/acked.stop"
wait $writer
writer=

cols=$(cli -N -e "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='sqitch_e2e' AND TABLE_NAME='widgets'")
[[ $cols == "id,name,color" ]] || { echo "FAIL: columns are $cols"; exit 1; }
idx=$(cli -N -e "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='sqitch_e2e' AND TABLE_NAME='widgets' AND INDEX_NAME='widgets_name'")
[[ $idx == 1 ]] || { echo "FAIL: index missing"; exit 1; }
[[ ! -s "$work/errors" ]] || { echo "FAIL: the application saw errors:"; head -5 "$work/errors"; exit 1; }
acked=$(wc -l < "$work/acked")
(( acked > 0 )) || { echo "FAIL: no application writes happened"; exit 1; }
present=$(cli -N -e "SELECT COUNT(*) FROM sqitch_e2e.widgets WHERE name = 'live'")
[[ $present == "$acked" ]] || { echo "FAIL: $acked writes acknowledged, $present present"; exit 1; }
status=$(sqitch status 2>&1 | tail -1)
echo "sqitch deploy through sealgate: columns $cols, $acked application writes acknowledged and present, 0 errors ($status)"
