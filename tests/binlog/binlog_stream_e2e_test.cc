// The stream against the real MariaDB: every column type decoded equals what
// SELECT returns, value for value; XA, DDL and per-table delivery.
#include <gtest/gtest.h>

#include <map>

#include "binlog/binlog_stream.h"
#include "binlog/column_catalog.h"
#include "support/test_conn.h"
#include "support/test_env.h"

namespace sealgate::binlog {
namespace {

using sealgate::test::TestConn;

ServerEndpoint Endpoint(const test::ServerAddress& a) {
  ServerEndpoint e;
  e.host = a.host;
  e.port = a.port;
  e.user = a.user;
  e.password = a.password;
  return e;
}

BinlogPosition CurrentPosition(TestConn& c) {
  BinlogPosition p;
  p.gtid_state = c.Scalar("SELECT @@global.gtid_binlog_pos").value_or("");
  auto st = c.Query("SHOW MASTER STATUS");
  if (!st.empty()) {
    p.file = st[0][0].value_or("");
    p.offset = std::stoull(st[0][1].value_or("4"));
  }
  return p;
}

// Collects transactions until `pred` says enough or the deadline passes.
std::vector<Transaction> Collect(Subscription& sub, size_t want, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  std::vector<Transaction> out;
  auto end = std::chrono::steady_clock::now() + deadline;
  while (out.size() < want && std::chrono::steady_clock::now() < end) {
    auto next = sub.Next(std::chrono::milliseconds(200));
    if (!next.ok()) {
      ADD_FAILURE() << next.status().ToString();
      break;
    }
    if (*next) out.push_back(std::move(**next));
  }
  return out;
}

const char* kAllTypes = R"(CREATE TABLE all_types (
  id INT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  f FLOAT, d DOUBLE, dec1 DECIMAL(10,2), dec2 DECIMAL(65,30), dec3 DECIMAL(5,0), dec4 DECIMAL(18,9) UNSIGNED,
  y YEAR, dt DATE, tm TIME, tm1 TIME(1), tm3 TIME(3), tm6 TIME(6),
  dtt DATETIME, dtt2 DATETIME(2), dtt6 DATETIME(6),
  ts TIMESTAMP NULL DEFAULT NULL, ts4 TIMESTAMP(4) NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL,
  c CHAR(10) CHARACTER SET latin1, cu CHAR(100) CHARACTER SET utf8mb4, cbig CHAR(255) CHARACTER SET utf8mb4,
  vc VARCHAR(100) CHARACTER SET latin1, vcbig VARCHAR(1000) CHARACTER SET utf8mb4,
  bin BINARY(8), vbin VARBINARY(300),
  tb TINYBLOB, b BLOB, mb MEDIUMBLOB, lb LONGBLOB, tt TINYTEXT, tx TEXT CHARACTER SET utf8mb4, mt MEDIUMTEXT, lt LONGTEXT,
  e ENUM('a','b','c'), s SET('x','y','z'), bt BIT(1), bt13 BIT(13), bt64 BIT(64),
  j JSON, g GEOMETRY, pt POINT
) ENGINE=InnoDB)";

// BIT columns compare numerically (SELECT returns their raw bytes).
const char* kSelect =
    "SELECT id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, f, d, dec1, dec2, dec3, dec4, y, dt, tm, tm1, tm3, tm6, "
    "dtt, dtt2, dtt6, ts, ts4, ts6, c, cu, cbig, vc, vcbig, bin, vbin, tb, b, mb, lb, tt, tx, mt, lt, e, s, "
    "bt+0, bt13+0, bt64+0, j, g, pt FROM all_types ORDER BY id";

std::vector<std::string> Inserts() {
  std::string big(3 << 20, '\0');
  for (size_t k = 0; k < big.size(); ++k) big[k] = char((k * 131) ^ (k >> 7));
  std::string big_hex;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char ch : big) {
    big_hex.push_back(hex[ch >> 4]);
    big_hex.push_back(hex[ch & 15]);
  }
  return {
      // maxima
      "INSERT INTO all_types VALUES (1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, "
      "9223372036854775807, 18446744073709551615, 3.5, 1.7976931348623157e308, 99999999.99, "
      "99999999999999999999999999999999999.999999999999999999999999999999, 99999, 999999999.999999999, "
      "2155, '9999-12-31', '838:59:59', '838:59:58.9', '838:59:57.999', '838:59:59.000000', "
      "'9999-12-31 23:59:59', '9999-12-31 23:59:59.99', '9999-12-31 23:59:59.999999', "
      "'2038-01-19 03:14:07', '2038-01-19 03:14:07.9999', '2038-01-19 03:14:07.999999', "
      "'abcdefghij', REPEAT('\xC3\xA9', 100), REPEAT('\xF0\x9F\x98\x80', 255), REPEAT('z', 100), REPEAT('\xF0\x9F\x90\xAC', 1000), "
      "X'0102030405060708', REPEAT(X'FF', 300), REPEAT('t', 255), REPEAT('b', 65535), X'" + big_hex + "', X'" + big_hex + "', "
      "REPEAT('y', 255), REPEAT('\xE2\x82\xAC', 20000), REPEAT('m', 70000), REPEAT('l', 100000), "
      "'c', 'x,y,z', b'1', b'1111111111111', b'1111111111111111111111111111111111111111111111111111111111111111', "
      "'{\"a\": [1, 2.5, \"x\"], \"b\": null}', ST_GeomFromText('LINESTRING(0 0, 1 1, 2 5)'), ST_GeomFromText('POINT(1.5 -2)'))",
      // minima and negatives
      "INSERT INTO all_types VALUES (2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, "
      "-9223372036854775808, 0, -0.25, -2.2250738585072014e-308, -99999999.99, "
      "-99999999999999999999999999999999999.999999999999999999999999999999, -99999, 0.000000001, "
      "1901, '1000-01-01', '-838:59:59', '-00:00:01.5', '-12:34:56.789', '-00:00:00.000001', "
      "'1000-01-01 00:00:00', '1000-01-01 00:00:00.01', '1000-01-01 00:00:00.000001', "
      "'1970-01-01 00:00:01', '1970-01-01 00:00:01.0001', '1970-01-01 00:00:01.000001', "
      "'a', 'a', 'a', 'a', 'a', X'00', X'00', X'00', X'00', X'00', X'00', 'a', 'a', 'a', 'a', "
      "'a', 'x', b'0', b'0', b'0', '[]', ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POINT(-1 1)'))",
      // NULLs everywhere
      "INSERT INTO all_types (id) VALUES (3)",
      // zeros, empty strings, zero dates, dec -0.01
      "INSERT INTO all_types VALUES (4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.01, 0, 0, 0, "
      "0, '0000-00-00', '00:00:00', '-00:00:00.1', '00:00:00', '-00:00:00.5', "
      "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', "
      "'0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', "
      "'', '', '', '', '', '', '', '', '', '', '', '', '', '', '', "
      "'', '', b'0', b'0', b'0', '{}', NULL, NULL)",
  };
}

class StreamE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_ = TestConn::Open(test::TestServer());
    conn_->MustExec("SET NAMES utf8mb4");
    conn_->MustExec("SET character_set_results = binary, time_zone = '+00:00', sql_mode = ''");
  }
  std::unique_ptr<BinlogStream> NewStream(uint32_t server_id) {
    catalog_ = std::make_unique<ServerColumnCatalog>(Endpoint(test::TestServer()));
    StreamOptions o;
    o.server = Endpoint(test::TestServer());
    o.server_id = server_id;
    o.start = CurrentPosition(*conn_);
    o.heartbeat = std::chrono::milliseconds(500);
    o.column_lookup = [this](const std::string& s, const std::string& t) { return catalog_->Lookup(s, t); };
    o.logger = &logger_;
    return std::make_unique<BinlogStream>(o);
  }
  std::map<int, std::vector<std::optional<std::string>>> Snapshot() {
    std::map<int, std::vector<std::optional<std::string>>> out;
    for (auto& row : conn_->Query(kSelect)) out[std::stoi(*row[0])] = row;
    return out;
  }
  // Compares one decoded row image with the SELECT row of the same id.
  void ExpectRowEquals(const RowsEvent& ev, const Row& row, const std::vector<std::optional<std::string>>& want) {
    ASSERT_EQ(row.size(), want.size());
    for (size_t c = 0; c < row.size(); ++c) {
      const ColumnDef& col = ev.table->columns[c];
      std::optional<std::string> got;
      if (!row[c].is_null()) got = ValueToText(row[c], &col);
      EXPECT_EQ(got, want[c]) << "column " << col.name << " (type " << int(col.type) << ") of id " << *want[0]
                              << ": got " << (got ? got->substr(0, 80) : "NULL") << " want "
                              << (want[c] ? want[c]->substr(0, 80) : "NULL");
    }
  }
  Logger logger_{LogLevel::kWarn};
  std::unique_ptr<TestConn> conn_;
  std::unique_ptr<ServerColumnCatalog> catalog_;
};

TEST_F(StreamE2E, EveryTypeInsertUpdateDeleteMatchesSelect) {
  conn_->MustExec("DROP DATABASE IF EXISTS binlog_types");
  conn_->MustExec("CREATE DATABASE binlog_types");
  conn_->MustExec("USE binlog_types");
  conn_->MustExec(kAllTypes);
  auto stream = NewStream(9101);
  auto sub = stream->Subscribe({{{"binlog_types", "all_types"}}, false});
  ASSERT_TRUE(stream->Start().ok());
  for (auto& sql : Inserts()) conn_->MustExec(sql);
  auto before = Snapshot();
  ASSERT_EQ(before.size(), 4u);
  conn_->MustExec("UPDATE all_types SET ti = -ti, tm6 = '-00:00:00.25', vc = CONCAT(vc, '!'), dec1 = -dec1 WHERE id IN (1, 2)");
  auto after = Snapshot();
  conn_->MustExec("DELETE FROM all_types WHERE id <> 3");
  std::string last_gtid = conn_->Scalar("SELECT @@last_gtid").value_or("?");

  // 4 inserts, 1 update, 1 delete.
  auto txns = Collect(*sub, 6, std::chrono::seconds(60));
  ASSERT_EQ(txns.size(), 6u);
  size_t inserted = 0, updated = 0, deleted = 0;
  for (auto& t : txns) {
    for (auto& ev : t.rows) {
      for (size_t k = 0; k < ev->row_count(); ++k) {
        if (ev->kind == RowsKind::kInsert) {
          ExpectRowEquals(*ev, ev->after[k], before[int(ev->after[k][0].i)]);
          ++inserted;
        } else if (ev->kind == RowsKind::kUpdate) {
          ExpectRowEquals(*ev, ev->before[k], before[int(ev->before[k][0].i)]);
          ExpectRowEquals(*ev, ev->after[k], after[int(ev->after[k][0].i)]);
          ++updated;
        } else {
          ExpectRowEquals(*ev, ev->before[k], after[int(ev->before[k][0].i)]);
          ++deleted;
        }
      }
    }
  }
  EXPECT_EQ(inserted, 4u);
  EXPECT_EQ(updated, 2u);
  EXPECT_EQ(deleted, 3u);
  // The last one delivered is the DELETE (other tests may write meanwhile:
  // the server's position is no fixed point to compare with).
  EXPECT_EQ(txns.back().gtid, last_gtid);
  stream->Stop();
  conn_->MustExec("DROP DATABASE binlog_types");
}

TEST_F(StreamE2E, XaCommittedOnlyDdlSeenAndTablesFiltered) {
  conn_->MustExec("DROP DATABASE IF EXISTS binlog_xa");
  conn_->MustExec("CREATE DATABASE binlog_xa");
  conn_->MustExec("USE binlog_xa");
  conn_->MustExec("CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10))");
  conn_->MustExec("CREATE TABLE other (id INT PRIMARY KEY)");
  auto stream = NewStream(9102);
  auto sub_a = stream->Subscribe({{{"binlog_xa", "a"}}, false});
  auto sub_other = stream->Subscribe({{{"binlog_xa", "other"}}, false});
  ASSERT_TRUE(stream->Start().ok());
  conn_->MustExec("XA START 'keep'");
  conn_->MustExec("INSERT INTO a VALUES (1, 'xa')");
  conn_->MustExec("XA END 'keep'");
  conn_->MustExec("XA PREPARE 'keep'");
  auto other_conn = TestConn::Open(test::TestServer(), "binlog_xa");
  other_conn->MustExec("INSERT INTO a VALUES (2, 'plain')");  // commits while 'keep' is prepared
  conn_->MustExec("XA COMMIT 'keep'");
  conn_->MustExec("XA START 'drop'");
  conn_->MustExec("INSERT INTO a VALUES (3, 'gone')");
  conn_->MustExec("XA END 'drop'");
  conn_->MustExec("XA PREPARE 'drop'");
  conn_->MustExec("XA ROLLBACK 'drop'");
  conn_->MustExec("INSERT INTO other VALUES (1)");
  conn_->MustExec("TRUNCATE TABLE a");
  conn_->MustExec("INSERT INTO other VALUES (2)");

  auto got = Collect(*sub_a, 3);
  ASSERT_EQ(got.size(), 3u);
  ASSERT_EQ(got[0].rows.size(), 1u);
  EXPECT_EQ(got[0].rows[0]->after[0][0].i, 2);  // the plain insert committed first
  ASSERT_EQ(got[1].rows.size(), 1u);
  EXPECT_EQ(got[1].rows[0]->after[0][0].i, 1);  // then the XA transaction, at its commit
  EXPECT_TRUE(got[1].xa.has_value());
  ASSERT_EQ(got[2].statements.size(), 1u);
  EXPECT_EQ(got[2].statements[0]->statement, "TRUNCATE TABLE a");
  auto other = Collect(*sub_other, 2);
  ASSERT_EQ(other.size(), 2u);
  for (auto& t : other) {
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(t.rows[0]->table->table, "other");
  }
  // Nothing more: the rolled-back XA never arrives.
  auto extra = sub_a->Next(std::chrono::milliseconds(1500));
  ASSERT_TRUE(extra.ok());
  EXPECT_FALSE(extra->has_value());
  stream->Stop();
  auto end = sub_a->Next(std::chrono::milliseconds(10));
  EXPECT_EQ(end.status().code(), StatusCode::kAborted);
  conn_->MustExec("DROP DATABASE binlog_xa");
}

TEST_F(StreamE2E, OnlyWantedTablesRowsAreDecodedAndTablesCanChange) {
  conn_->MustExec("DROP DATABASE IF EXISTS binlog_filter");
  conn_->MustExec("CREATE DATABASE binlog_filter");
  conn_->MustExec("USE binlog_filter");
  conn_->MustExec("CREATE TABLE a (id INT PRIMARY KEY)");
  conn_->MustExec("CREATE TABLE b (id INT PRIMARY KEY)");
  auto stream = NewStream(9104);
  SubscriptionOptions opts;
  opts.tables = {{"binlog_filter", "a"}};
  opts.include_unrelated = true;
  auto sub = stream->Subscribe(opts);
  ASSERT_TRUE(stream->Start().ok());
  // Other tests may write to the server meanwhile: their transactions come
  // as position-only ones too, so this test's own are found by GTID.
  auto by_gtid = [&](const std::string& gtid) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
      auto next = sub->Next(std::chrono::milliseconds(200));
      if (!next.ok()) {
        ADD_FAILURE() << next.status().ToString();
        break;
      }
      if (*next && (*next)->gtid == gtid) return std::optional<Transaction>(std::move(**next));
    }
    ADD_FAILURE() << "transaction " << gtid << " not delivered";
    return std::optional<Transaction>();
  };
  auto skipped_before = stream->stats().rows_events_skipped;
  conn_->MustExec("INSERT INTO b VALUES (1), (2)");
  std::string gtid_b = conn_->Scalar("SELECT @@last_gtid").value_or("");
  conn_->MustExec("INSERT INTO a VALUES (1)");
  std::string gtid_a = conn_->Scalar("SELECT @@last_gtid").value_or("");
  auto first_b = by_gtid(gtid_b);
  ASSERT_TRUE(first_b);
  EXPECT_TRUE(first_b->rows.empty());  // b: position only
  auto first_a = by_gtid(gtid_a);
  ASSERT_TRUE(first_a);
  ASSERT_EQ(first_a->rows.size(), 1u);
  EXPECT_EQ(first_a->rows[0]->table->table, "a");
  EXPECT_GE(stream->stats().rows_events_skipped, skipped_before + 1);

  sub->SetTables({{"binlog_filter", "a"}, {"binlog_filter", "b"}});
  conn_->MustExec("INSERT INTO b VALUES (3)");
  auto second = by_gtid(conn_->Scalar("SELECT @@last_gtid").value_or(""));
  ASSERT_TRUE(second);
  ASSERT_EQ(second->rows.size(), 1u);
  EXPECT_EQ(second->rows[0]->table->table, "b");
  EXPECT_EQ(second->rows[0]->after[0][0].i, 3);

  // A closed subscription wants nothing: rows nobody reads are not decoded.
  auto skipped_open = stream->stats().rows_events_skipped;
  sub->Close();
  conn_->MustExec("INSERT INTO a VALUES (2)");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (stream->stats().rows_events_skipped < skipped_open + 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(stream->stats().rows_events_skipped, skipped_open + 1);
  stream->Stop();
  conn_->MustExec("DROP DATABASE binlog_filter");
}

TEST_F(StreamE2E, BackPressureBlocksReaderInsteadOfGrowing) {
  conn_->MustExec("DROP DATABASE IF EXISTS binlog_bp");
  conn_->MustExec("CREATE DATABASE binlog_bp");
  conn_->MustExec("USE binlog_bp");
  conn_->MustExec("CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(1000))");
  catalog_ = std::make_unique<ServerColumnCatalog>(Endpoint(test::TestServer()));
  StreamOptions o;
  o.server = Endpoint(test::TestServer());
  o.server_id = 9103;
  o.start = CurrentPosition(*conn_);
  o.queue_bytes = 8 << 10;  // a handful of transactions
  BinlogStream stream(o);
  auto sub = stream.Subscribe({{{"binlog_bp", "t"}}, false});
  ASSERT_TRUE(stream.Start().ok());
  for (int k = 1; k <= 200; ++k) conn_->MustExec("INSERT INTO t VALUES (" + std::to_string(k) + ", REPEAT('p', 900))");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // The reader is blocked on the full queue: far fewer than 200 decoded.
  EXPECT_LT(stream.stats().transactions, 50u);
  auto got = Collect(*sub, 200);
  ASSERT_EQ(got.size(), 200u);
  for (int k = 0; k < 200; ++k) EXPECT_EQ(got[k].rows[0]->after[0][0].i, k + 1);
  stream.Stop();
  conn_->MustExec("DROP DATABASE binlog_bp");
}

}  // namespace
}  // namespace sealgate::binlog
