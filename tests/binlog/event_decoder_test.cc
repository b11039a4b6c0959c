// EventDecoder on constructed MariaDB and MySQL 8 events: framing, checksums,
// every truncation point, each event kind.
#include "binlog/event_decoder.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include "binlog/event_builder.h"

namespace sealgate::binlog {
namespace {

using namespace testing;  // NOLINT

template <typename T>
const T& As(const Event& e) {
  return std::get<T>(e.body);
}

class DecoderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(d_.Decode(AsBytes(FormatDescriptionEvent())).ok()); }
  StatusOr<Event> Dec(const std::string& bytes) { return d_.Decode(AsBytes(bytes)); }
  EventDecoder d_;
};

TEST(FrameTest, NeedMoreUntilComplete) {
  std::string ev = MakeEvent(kXidEvent, Le(42, 8), 100);
  for (size_t n = 0; n < ev.size(); ++n) {
    auto f = FrameEvent(AsBytes(ev).first(n));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->state, FrameState::kNeedMore) << n;
  }
  auto f = FrameEvent(AsBytes(ev + "extra"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->state, FrameState::kComplete);
  EXPECT_EQ(f->length, ev.size());
}

TEST(FrameTest, ImpossibleLengthIsCorruption) {
  std::string ev = MakeEvent(kXidEvent, Le(42, 8));
  ev[9] = 3;  // length 3 < header
  ev[10] = ev[11] = ev[12] = 0;
  auto f = FrameEvent(AsBytes(ev));
  EXPECT_EQ(f.status().code(), StatusCode::kCorruption);
}

TEST_F(DecoderTest, FormatDescriptionSetsChecksumAndFlavor) {
  EXPECT_TRUE(d_.format().is_mariadb);
  EXPECT_EQ(d_.checksum_alg(), kChecksumCrc32);
  EventDecoder mysql;
  auto e = mysql.Decode(AsBytes(FormatDescriptionEvent("8.0.36", kChecksumOff)));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(mysql.format().is_mariadb);
  EXPECT_EQ(mysql.checksum_alg(), kChecksumOff);
  // Without checksums, a following event has no trailer.
  auto x = mysql.Decode(AsBytes(MakeEvent(kXidEvent, Le(7, 8), 0, false)));
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(As<XidEvent>(*x).xid, 7u);
}

TEST_F(DecoderTest, BadChecksumIsCorruption) {
  std::string ev = MakeEvent(kXidEvent, Le(42, 8));
  ev[20] ^= 1;
  auto e = Dec(ev);
  EXPECT_EQ(e.status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(IsNeedMore(e.status()));
}

TEST_F(DecoderTest, TruncatedBufferIsNeedMore) {
  std::string ev = MakeEvent(kXidEvent, Le(42, 8));
  for (size_t n = 0; n < ev.size(); ++n) {
    auto e = Dec(ev.substr(0, n));
    EXPECT_TRUE(IsNeedMore(e.status())) << n;
  }
}

std::string QueryBody(const std::string& db, const std::string& sql) {
  std::string b = Le(77, 4) + Le(0, 4);
  b.push_back(char(db.size()));
  b += Le(0, 2);
  std::string status(5, '\0');  // Q_FLAGS2_CODE status var
  b += Le(status.size(), 2) + status + db + '\0' + sql;
  return b;
}

TEST_F(DecoderTest, QueryWithSchemaAndTables) {
  auto e = Dec(MakeEvent(kQueryEvent, QueryBody("shop", "TRUNCATE TABLE orders")));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& q = As<QueryEvent>(*e);
  EXPECT_EQ(q.thread_id, 77u);
  EXPECT_EQ(q.schema, "shop");
  EXPECT_EQ(q.statement, "TRUNCATE TABLE orders");
  ASSERT_EQ(q.tables.size(), 1u);
  EXPECT_EQ(q.tables[0], (std::pair<std::string, std::string>{"shop", "orders"}));
}

TEST_F(DecoderTest, CompressedQuery) {
  std::string b = QueryBody("db", "");
  b += MariaCompress("ALTER TABLE `t1` ADD COLUMN c INT");
  auto e = Dec(MakeEvent(kQueryCompressedEvent, b));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_TRUE(std::holds_alternative<QueryEvent>(e->body));
  EXPECT_EQ(As<QueryEvent>(*e).statement, "ALTER TABLE `t1` ADD COLUMN c INT");
  ASSERT_EQ(As<QueryEvent>(*e).tables.size(), 1u);
  EXPECT_EQ(As<QueryEvent>(*e).tables[0].second, "t1");
}

TEST(QueryTablesTest, CommonStatements) {
  using P = std::pair<std::string, std::string>;
  auto t = ExtractQueryTables("RENAME TABLE a TO _a_old, `d2`.`b` TO a", "d");
  EXPECT_EQ(t, (std::vector<P>{{"d", "a"}, {"d", "_a_old"}, {"d2", "b"}}));
  t = ExtractQueryTables("/* x */ DROP TABLE IF EXISTS x, y.z", "d");
  EXPECT_EQ(t, (std::vector<P>{{"d", "x"}, {"y", "z"}}));
  t = ExtractQueryTables("create index i on s.t (a)", "d");
  EXPECT_EQ(t, (std::vector<P>{{"s", "t"}}));
  t = ExtractQueryTables("ALTER TABLE t DROP PARTITION p0", "d");
  EXPECT_EQ(t, (std::vector<P>{{"d", "t"}}));
  t = ExtractQueryTables("ALTER TABLE t EXCHANGE PARTITION p WITH TABLE u", "d");
  EXPECT_EQ(t, (std::vector<P>{{"d", "t"}, {"d", "u"}}));
  t = ExtractQueryTables("ALTER TABLE t RENAME TO u", "d");
  EXPECT_EQ(t, (std::vector<P>{{"d", "t"}, {"d", "u"}}));
  t = ExtractQueryTables("TRUNCATE t", "d");
  EXPECT_EQ(t, (std::vector<P>{{"d", "t"}}));
}

TEST_F(DecoderTest, MariaGtidAndXa) {
  std::string b = Le(42, 8) + Le(3, 4);
  b.push_back(char(0x40 | 0x02));
  b += Le(999, 8);  // commit id
  b += Le(1, 4);
  b.push_back(2);
  b.push_back(1);
  b += "abq";
  auto e = Dec(MakeEvent(kMariaGtidEvent, b, 0, true, 7));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& g = As<MariaGtidEvent>(*e);
  EXPECT_EQ(g.seq_no, 42u);
  EXPECT_EQ(g.domain_id, 3u);
  EXPECT_EQ(g.server_id, 7u);
  EXPECT_TRUE(g.prepared_xa());
  EXPECT_EQ(g.commit_id, 999u);
  EXPECT_EQ(g.xid.gtrid, "ab");
  EXPECT_EQ(g.xid.bqual, "q");
  EXPECT_EQ(g.xid.ToString(), "X'6162',X'71',1");
}

TEST_F(DecoderTest, GtidListCheckpointAnnotateRotate) {
  std::string b = Le(2, 4) + Le(0, 4) + Le(1, 4) + Le(10, 8) + Le(1, 4) + Le(2, 4) + Le(7, 8);
  auto e = Dec(MakeEvent(kMariaGtidListEvent, b));
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(As<MariaGtidListEvent>(*e).gtids.size(), 2u);
  EXPECT_EQ(As<MariaGtidListEvent>(*e).gtids[1].seq_no, 7u);
  e = Dec(MakeEvent(kBinlogCheckpointEvent, Le(10, 4) + "binlog.001"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(As<BinlogCheckpointEvent>(*e).file, "binlog.001");
  e = Dec(MakeEvent(kAnnotateRowsEvent, "INSERT INTO t VALUES (1)"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(As<AnnotateRowsEvent>(*e).statement, "INSERT INTO t VALUES (1)");
  e = Dec(MakeEvent(kRotateEvent, Le(4, 8) + "binlog.000002"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(As<RotateEvent>(*e).next_file, "binlog.000002");
  EXPECT_EQ(As<RotateEvent>(*e).position, 4u);
  e = Dec(MakeEvent(kHeartbeatEvent, "binlog.000002"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(As<HeartbeatEvent>(*e).file, "binlog.000002");
}

TEST(MysqlEventsTest, GtidPreviousGtidsXaPrepare) {
  EventDecoder d;
  ASSERT_TRUE(d.Decode(AsBytes(FormatDescriptionEvent("8.0.36"))).ok());
  std::string sid = "\x3e\x11\xfa\x47\x71\xca\x11\xe1\x9e\x33\xc8\x0a\xa9\x42\x95\x62";
  std::string g = std::string(1, '\x01') + sid + Le(23, 8) + std::string(1, '\x02') + Le(5, 8) + Le(6, 8);
  auto e = d.Decode(AsBytes(MakeEvent(kMysqlGtidEvent, g)));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(As<MysqlGtidEvent>(*e).ToString(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:23");
  EXPECT_FALSE(As<MysqlGtidEvent>(*e).anonymous);
  e = d.Decode(AsBytes(MakeEvent(kMysqlAnonymousGtidEvent, g)));
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(As<MysqlGtidEvent>(*e).anonymous);
  std::string p = Le(1, 8) + sid + Le(2, 8) + Le(1, 8) + Le(6, 8) + Le(8, 8) + Le(9, 8);
  e = d.Decode(AsBytes(MakeEvent(kMysqlPreviousGtidsEvent, p)));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(As<MysqlPreviousGtidsEvent>(*e).gtid_set, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:8");
  std::string x = std::string(1, '\0') + Le(1, 4) + Le(3, 4) + Le(0, 4) + "xyz";
  e = d.Decode(AsBytes(MakeEvent(kXaPrepareEvent, x)));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(As<XaPrepareEvent>(*e).xid.gtrid, "xyz");
  e = d.Decode(AsBytes(MakeEvent(kPartialUpdateRowsEvent, std::string(20, '\0'))));
  EXPECT_EQ(e.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(e.status().message().find("binlog_row_value_options"), std::string::npos);
}

TEST(MysqlEventsTest, TransactionPayloadZstd) {
  EventDecoder d;
  ASSERT_TRUE(d.Decode(AsBytes(FormatDescriptionEvent("8.0.36"))).ok());
  // Inner events: table map + write rows + xid, without checksums.
  std::string inner =
      MakeEvent(kTableMapEvent, TableMapBody(9, "db", "t", {{kTypeLong, ""}}), 0, false) +
      MakeEvent(kWriteRowsEventV2, RowsBody(9, 1, false, true, std::string(1, '\0') + Le(5, 4)), 0, false) +
      MakeEvent(kXidEvent, Le(3, 8), 0, false);
  std::string z(ZSTD_compressBound(inner.size()), '\0');
  z.resize(ZSTD_compress(z.data(), z.size(), inner.data(), inner.size(), 3));
  std::string b;
  auto field = [&](int type, uint64_t v) {
    std::string val;
    PutPackedInt(&val, v);
    PutPackedInt(&b, type);
    PutPackedInt(&b, val.size());
    b += val;
  };
  field(1, z.size());
  field(2, 0);
  field(3, inner.size());
  b.push_back('\0');
  b += z;
  auto e = d.Decode(AsBytes(MakeEvent(kTransactionPayloadEvent, b)));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& p = As<TransactionPayloadEvent>(*e);
  ASSERT_EQ(p.events.size(), 3u);
  const auto& rows = std::get<RowsEvent>(p.events[1].body);
  ASSERT_EQ(rows.after.size(), 1u);
  EXPECT_EQ(rows.after[0][0].i, 5);
  EXPECT_EQ(std::get<XidEvent>(p.events[2].body).xid, 3u);
  // Outer checksum still verified afterwards.
  auto x = d.Decode(AsBytes(MakeEvent(kXidEvent, Le(1, 8))));
  EXPECT_TRUE(x.ok()) << x.status().ToString();
}

// Every event shortened inside its body (length and checksum patched to
// match) must be rejected or decoded — never crash, never need-more.
TEST_F(DecoderTest, EveryTruncationPointOfTheBody) {
  // (type, body, bytes after which a shorter body is still a valid event)
  std::vector<std::tuple<uint8_t, std::string, size_t>> events = {
      {kQueryEvent, QueryBody("shop", "ALTER TABLE t ADD c INT"), 13 + 5 + 5},
      {kRotateEvent, Le(4, 8) + "binlog.000002", 8},
      {kTableMapEvent, TableMapBody(5, "db", "t", {{kTypeLong, ""}, {kTypeVarchar, Le(300, 2)}, {kTypeNewDecimal, Meta2(10, 2)}}), ~size_t(0)},
      {kMariaGtidEvent, Le(42, 8) + Le(0, 4) + std::string(1, '\x40') + Le(1, 4) + "\x01\x01" + "ab", ~size_t(0)},
      {kMariaGtidListEvent, Le(1, 4) + Le(0, 4) + Le(1, 4) + Le(10, 8), ~size_t(0)},
      {kXidEvent, Le(1, 8), ~size_t(0)},
      {kXaPrepareEvent, std::string(1, '\0') + Le(1, 4) + Le(3, 4) + Le(0, 4) + "xyz", ~size_t(0)},
  };
  for (auto& [type, body, valid_from] : events) {
    SCOPED_TRACE(EventTypeName(type));
    EventDecoder d;
    ASSERT_TRUE(d.Decode(AsBytes(FormatDescriptionEvent())).ok());
    ASSERT_TRUE(d.Decode(AsBytes(MakeEvent(type, body))).ok());
    for (size_t n = 0; n < body.size(); ++n) {
      auto e = d.Decode(AsBytes(MakeEvent(type, body.substr(0, n))));
      EXPECT_FALSE(IsNeedMore(e.status())) << n;
      if (n < valid_from) EXPECT_EQ(e.status().code(), StatusCode::kCorruption) << n;
      else EXPECT_TRUE(e.ok()) << n << " " << e.status().ToString();
    }
  }
}

}  // namespace
}  // namespace sealgate::binlog
