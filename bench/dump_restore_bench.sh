#!/usr/bin/env bash
# Restoring a mariadb-dump file with the mariadb client, straight into MariaDB
# and through sealgate, side by side in one run (target: through sealgate at
# most 1.1x the direct time).
# A source database of four InnoDB tables (integer keys, secondary and unique
# indexes, a composite primary key, VARCHARs with 4-byte UTF-8, TEXT, a BLOB
# with arbitrary bytes, NULLs, ENUM, DECIMAL, DATETIME) is generated on the
# server with the sequence engine until its dump is about MEGABYTES MB, and
# dumped once with mariadb-dump's default options (DROP/CREATE TABLE, LOCK
# TABLES, ALTER TABLE ... DISABLE KEYS, extended INSERTs). Each round then
# restores the file into a fresh database directly and into another through
# sealgate, in alternating order (drift cancels out), each after the server
# has written out its dirty pages; the wall clock of each restore (the
# mariadb client reading the file) is timed. After each restore the tables'
# names, definitions, row counts and CHECKSUM TABLE are compared with the
# source's, read straight from the server; any difference fails the run.
# The proxy_cpu columns are sealgate's CPU (user+system) during each restore:
# it tails the binlog in both cases, and relays the statements in the second.
# Usage: bench/dump_restore_bench.sh [MEGABYTES]     (default 100)
# BENCH_ROUNDS (3): rounds; BENCH_SKIP_BUILD=1: use build/sealgate as it is;
# BENCH_MARIADB_PORT / BENCH_PROXY_PORT: loopback ports of the server / proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-100}
rounds=${BENCH_ROUNDS:-3}
[[ $mb =~ ^[0-9]+$ && $mb -ge 1 && $rounds =~ ^[0-9]+$ && $rounds -ge 1 ]] ||
  { echo "usage: $0 [MEGABYTES]  (BENCH_ROUNDS >= 1)" >&2; exit 2; }
log=build/bench-dump-restore-sealgate.log
dump=build/bench-dump-restore.sql
source bench/lib.sh
bench_start ${BENCH_PROXY_PORT:-26081} $log --metadata-schema _sealgate_dump_bench

auth=(-usealgate -psealgate --default-character-set=utf8mb4)
direct() { mariadb --no-defaults -h127.0.0.1 -P$db_port "${auth[@]}" --batch --skip-column-names "$@"; }
src=dumpbench_src
tables=(customers orders order_items documents)

# Scale: customers; orders are 3 per customer, order lines 2 per order on
# average, documents one per 10 customers. About 900 bytes of dump per customer.
n=$((mb * 1024 * 1024 / 900))
echo "generating $src: $n customers, $((3 * n)) orders, ~$((6 * n)) order lines, $((n / 10)) documents"
direct -e "DROP DATABASE IF EXISTS $src; CREATE DATABASE $src CHARACTER SET utf8mb4"
direct $src <<SQL
SET SESSION sql_log_bin = 0;  -- the source need not be in the binlog
CREATE TABLE customers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(191) NOT NULL,
  name VARCHAR(100) NOT NULL,
  country CHAR(2) NOT NULL,
  created_at DATETIME NOT NULL,
  notes TEXT NULL,
  UNIQUE KEY uk_email (email),
  KEY by_country_created (country, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  placed_at DATETIME(3) NOT NULL,
  coupon VARCHAR(32) NULL,
  comment VARCHAR(255) NULL,
  KEY by_customer (customer_id, placed_at),
  KEY by_placed (placed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE order_items (
  order_id BIGINT UNSIGNED NOT NULL,
  line_no SMALLINT UNSIGNED NOT NULL,
  sku VARCHAR(32) NOT NULL,
  qty INT NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL,
  gift_note VARCHAR(200) NULL,
  PRIMARY KEY (order_id, line_no),
  KEY by_sku (sku)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE documents (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  customer_id INT UNSIGNED NULL,
  title VARCHAR(200) NOT NULL,
  mime VARCHAR(64) NOT NULL,
  body MEDIUMBLOB NULL,
  KEY by_customer (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO customers (id, email, name, country, created_at, notes)
SELECT seq,
       CONCAT('user', seq, '.', LEFT(MD5(seq), 6), '@example.', ELT(1 + seq % 4, 'com', 'org', 'de', 'jp')),
       CONCAT(ELT(1 + seq % 6, 'Zoë', 'José', 'Søren', '李', 'Ана', 'Émile'), ' ',
              ELT(1 + (seq DIV 6) % 5, 'Müller', 'O''Brien', 'Nguyễn 🌸', '𠜎田', 'Smith'), ' ', seq),
       ELT(1 + seq % 8, 'DE', 'FR', 'US', 'JP', 'BR', 'IN', 'GB', 'CN'),
       '2020-01-01' + INTERVAL (seq * 7919) % 157680000 SECOND,
       IF(seq % 3 = 0, NULL,
          CONCAT('Prefers contact by ', ELT(1 + seq % 3, 'e-mail', 'phone', 'post'), '. ',
                 REPEAT('Lorem ipsum dolor sit amet 😀, ', seq % 4), 'Ref "', SHA1(seq), '"\\\\', '\n', 'tab\tend'))
FROM seq_1_to_$n;

INSERT INTO orders (id, customer_id, status, amount, placed_at, coupon, comment)
SELECT seq, 1 + (seq * 2654435761) % $n,
       ELT(1 + CRC32(seq) % 4, 'new', 'paid', 'shipped', 'cancelled'),
       (CRC32(CONCAT('a', seq)) % 100000000) / 100,
       TIMESTAMP'2021-01-01 00:00:00' + INTERVAL (seq * 104729) % 126144000 SECOND + INTERVAL seq % 1000 * 1000 MICROSECOND,
       IF(seq % 5 = 0, CONCAT('SAVE', seq % 50), NULL),
       IF(seq % 4 = 0, NULL, CONCAT('Deliver to door ', seq % 200, ' – ', ELT(1 + seq % 3, 'ring twice', 'leave with neighbour 🚚', "don't knock")))
FROM seq_1_to_$((3 * n));

INSERT INTO order_items (order_id, line_no, sku, qty, unit_price, gift_note)
SELECT o.seq, l.seq, CONCAT('SKU-', LPAD(CRC32(CONCAT(o.seq, '/', l.seq)) % 50000, 6, '0')),
       1 + (o.seq + l.seq) % 9, (CRC32(CONCAT('p', o.seq, l.seq)) % 50000) / 100,
       IF((o.seq + l.seq) % 10 = 0, CONCAT('Happy birthday 🎂 ', o.seq), NULL)
FROM seq_1_to_$((3 * n)) o JOIN seq_1_to_3 l ON l.seq <= 1 + o.seq % 3;

INSERT INTO documents (id, customer_id, title, mime, body)
SELECT seq, IF(seq % 7 = 0, NULL, 1 + (seq * 40503) % $n),
       CONCAT('Invoice ', seq, ' ', ELT(1 + seq % 3, '📄', 'für Kunde', 'さん')),
       ELT(1 + seq % 3, 'application/pdf', 'image/png', 'application/octet-stream'),
       IF(seq % 11 = 0, NULL, REPEAT(UNHEX(SHA2(seq, 256)), 20 + seq % 100))
FROM seq_1_to_$((n / 10));
SQL

mariadb-dump --no-defaults -h127.0.0.1 -P$db_port "${auth[@]}" $src >$dump
grep -q 'LOCK TABLES `orders` WRITE' $dump || { echo "the dump has no LOCK TABLES" >&2; exit 1; }
grep -q 'ALTER TABLE `orders` DISABLE KEYS' $dump || { echo "the dump has no DISABLE KEYS" >&2; exit 1; }
inserts=$(grep -c '^INSERT INTO' $dump)
echo "dump: $dump, $(awk -v b="$(stat -c %s $dump)" 'BEGIN {printf "%.1f", b / 1048576}') MB, $inserts INSERT statements"

# What a restored database must equal: its tables, their definitions, row counts and checksums.
signature() {
  local db=$1 list="" t
  for t in "${tables[@]}"; do list+="${list:+, }$db.$t"; done
  direct -e "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db' ORDER BY TABLE_NAME"
  for t in "${tables[@]}"; do direct -e "SHOW CREATE TABLE $db.$t"; direct -e "SELECT '$t', COUNT(*) FROM $db.$t"; done
  direct -e "CHECKSUM TABLE $list" | sed "s/^$db\.//"
}
want=$(signature $src)
check() {  # check DB HOW
  local got
  got=$(signature $1)
  if [[ $got != "$want" ]]; then
    echo "restore $2 into $1 differs from $src:" >&2
    diff <(echo "$want") <(echo "$got") | head -20 >&2
    exit 1
  fi
}

# Lets the server write out its dirty pages, so that each restore starts alike.
settle() {
  local pct dirty
  pct=$(direct -e "SELECT @@GLOBAL.innodb_max_dirty_pages_pct")
  direct -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
  for _ in $(seq 1 240); do
    dirty=$(direct -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | cut -f2)
    ((dirty < 50)) && break
    sleep 0.5
  done
  direct -e "SET GLOBAL innodb_max_dirty_pages_pct = $pct"
  ((dirty < 50)) || echo "note: $dirty dirty pages still unwritten after 120 s" >&2
}

hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' /proc/$proxy_pid/stat; }
restore_err=build/bench-dump-restore.err
logged=""   # what sealgate logged while a restore ran
# restore PORT DB HOW: restores the dump into a fresh DB, checks and drops it;
# sets secs (wall clock of the restore) and cpu (sealgate's CPU seconds meanwhile).
restore() {
  local port=$1 db=$2 how=$3 t0 t1 c0 c1 l0
  direct -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4"
  settle
  l0=$(wc -l <$log)
  c0=$(ticks)
  t0=$EPOCHREALTIME
  if ! mariadb --no-defaults -h127.0.0.1 -P$port "${auth[@]}" $db <$dump 2>$restore_err; then
    echo "restore $how into $db failed:" >&2; cat $restore_err >&2
    echo "--- sealgate log (last 20 lines): $log" >&2; tail -20 $log >&2
    exit 1
  fi
  t1=$EPOCHREALTIME
  c1=$(ticks)
  [[ -s $restore_err ]] && { echo "restore $how into $db said:" >&2; cat $restore_err >&2; }
  local new
  new=$(tail -n +$((l0 + 1)) $log)
  [[ -n $new ]] && logged+="--- during restore $how into $db:"$'\n'"$new"$'\n'
  check $db "$how"
  direct -e "DROP DATABASE $db"
  secs=$(awk -v a=$t0 -v b=$t1 'BEGIN {printf "%.2f", b - a}')
  cpu=$(awk -v c=$((c1 - c0)) -v hz=$hz 'BEGIN {printf "%.2f", c / hz}')
}

printf "%-6s %10s %10s %8s   %16s %18s\n" round direct_s sealgate_s ratio proxy_cpu_direct proxy_cpu_sealgate
ratios=()
for r in $(seq 1 $rounds); do
  for how in $( ((r % 2)) && echo "direct sealgate" || echo "sealgate direct"); do
    if [[ $how == direct ]]; then
      restore $db_port dumpbench_direct direct; d=$secs dc=$cpu
    else
      restore $proxy_port dumpbench_proxied "through sealgate"; s=$secs sc=$cpu
    fi
  done
  ratio=$(awk -v d=$d -v s=$s 'BEGIN {printf "%.3f", s / d}')
  ratios+=($ratio)
  printf "%-6s %10s %10s %7sx   %16s %18s\n" $r $d $s $ratio $dc $sc
done
median=$(printf "%s\n" "${ratios[@]}" | sort -g | awk '{v[NR] = $1} END {printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
verdict=$(awk -v m=$median 'BEGIN {print (m <= 1.1 ? "met" : "NOT met")}')
echo "median ratio (sealgate / direct): ${median}x   target <= 1.10x: $verdict"
echo "(every restore verified: tables, definitions, row counts and CHECKSUM TABLE equal $src's)"
direct -e "DROP DATABASE $src"   # the dump file stays
if [[ -n $logged ]]; then
  echo "sealgate logged during the restores ($log):"
  echo -n "$logged" | head -40
else
  echo "sealgate logged nothing during the restores ($log)"
fi
