// Transaction grouping on constructed event sequences: commit kinds, XA
// prepare/commit/rollback, positions, re-delivery guard.
#include "binlog/transaction_assembler.h"

#include <gtest/gtest.h>

#include "binlog/event_types.h"

namespace sealgate::binlog {
namespace {

Event Ev(EventBody body, uint32_t log_pos) {
  Event e;
  e.header.log_pos = log_pos;
  e.body = std::move(body);
  return e;
}
Event Gtid(uint64_t seq, uint32_t pos, uint8_t flags = 0, XaId xid = {}) {
  MariaGtidEvent g;
  g.domain_id = 0;
  g.server_id = 1;
  g.seq_no = seq;
  g.flags = flags;
  g.xid = xid;
  return Ev(g, pos);
}
Event Query(const std::string& sql, uint32_t pos) {
  QueryEvent q;
  q.statement = sql;
  q.schema = "d";
  return Ev(q, pos);
}
Event Rows(int id, uint32_t pos) {
  auto table = std::make_shared<TableMap>();
  table->schema = "d";
  table->table = "t";
  RowsEvent r;
  r.table = table;
  Value v;
  v.kind = ValueKind::kInt;
  v.i = id;
  r.after.push_back({v});
  return Ev(r, pos);
}

struct Fixture {
  Fixture() { EXPECT_TRUE(a.SetPosition({"0-1-10", "binlog.000001", 100}, true).ok()); }
  std::vector<Transaction> Feed(std::vector<Event> events) {
    std::vector<Transaction> out;
    for (auto& e : events) EXPECT_TRUE(a.Add(std::move(e), 10, &out).ok());
    return out;
  }
  TransactionAssembler a;
};

TEST(AssemblerTest, XidCommitAndStandaloneDdl) {
  Fixture f;
  auto out = f.Feed({Gtid(11, 110), Query("BEGIN", 120), Rows(1, 130), Rows(2, 140)});
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(f.a.mid_transaction());
  out = f.Feed({Ev(XidEvent{5}, 150), Gtid(12, 160, 0x01), Query("ALTER TABLE t ADD c INT", 170)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].gtid, "0-1-11");
  EXPECT_EQ(out[0].rows.size(), 2u);
  EXPECT_EQ(out[0].position.offset, 150u);
  EXPECT_EQ(out[0].position.gtid_state, "0-1-11");
  EXPECT_EQ(out[1].statements.size(), 1u);
  EXPECT_EQ(f.a.position().gtid_state, "0-1-12");
  EXPECT_EQ(f.a.position().offset, 170u);
}

TEST(AssemblerTest, SkippedRowsEventsAreLeftOut) {
  Fixture f;
  Event skipped = Rows(2, 140);
  auto& r = std::get<RowsEvent>(skipped.body);
  r.after.clear();
  r.skipped = true;
  auto out = f.Feed({Gtid(11, 110), Query("BEGIN", 120), Rows(1, 130), std::move(skipped), Ev(XidEvent{5}, 150),
                     Gtid(12, 160), Query("BEGIN", 170), Ev(RowsEvent{.skipped = true}, 180), Ev(XidEvent{6}, 190)});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].rows.size(), 1u);
  EXPECT_EQ(out[0].rows[0]->after[0][0].i, 1);
  EXPECT_TRUE(out[1].rows.empty());  // still delivered: its position counts
  EXPECT_EQ(out[1].position.offset, 190u);
}

TEST(AssemblerTest, PartialTransactionIsDroppedOnReset) {
  Fixture f;
  f.Feed({Gtid(11, 110), Query("BEGIN", 120), Rows(1, 130)});
  f.a.ResetPartial();
  EXPECT_EQ(f.a.position().gtid_state, "0-1-10");
  auto out = f.Feed({Gtid(11, 110), Query("BEGIN", 120), Rows(1, 130), Query("COMMIT", 140)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rows.size(), 1u);
}

TEST(AssemblerTest, AlreadyDeliveredGtidIsSkipped) {
  Fixture f;
  auto out = f.Feed({Gtid(10, 110), Query("BEGIN", 120), Rows(1, 130), Ev(XidEvent{1}, 140)});
  EXPECT_TRUE(out.empty());
}

TEST(AssemblerTest, XaDeliveredAtCommitDroppedAtRollback) {
  Fixture f;
  XaId keep{1, "keep", ""}, drop{1, "drop", ""};
  XaPrepareEvent pk{false, keep}, pd{false, drop};
  auto out = f.Feed({Gtid(11, 110, 0x40, keep), Query("XA START X'6b656570',X'',1", 120), Rows(1, 130),
                     Query("XA END X'6b656570',X'',1", 140), Ev(pk, 150),
                     Gtid(12, 160, 0x40, drop), Query("XA START 'drop'", 170), Rows(2, 180), Ev(pd, 190),
                     Gtid(13, 200), Query("BEGIN", 210), Rows(3, 220), Ev(XidEvent{9}, 230)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rows[0]->after[0][0].i, 3);
  EXPECT_EQ(f.a.prepared_xa_count(), 2u);
  out = f.Feed({Gtid(14, 240, 0x80, drop), Query("XA ROLLBACK 'drop'", 250), Gtid(15, 260, 0x80, keep),
                Query("XA COMMIT 'keep'", 270)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rows[0]->after[0][0].i, 1);
  EXPECT_EQ(out[0].gtid, "0-1-15");
  EXPECT_EQ(out[0].position.offset, 270u);
  EXPECT_EQ(f.a.prepared_xa_count(), 0u);
}

TEST(AssemblerTest, MysqlXaCommitParsedFromStatement) {
  TransactionAssembler a;
  ASSERT_TRUE(a.SetPosition({"", "binlog.000001", 4}, false).ok());
  MysqlGtidEvent g1;
  g1.sid[0] = 1;
  g1.gno = 1;
  MysqlGtidEvent g2 = g1;
  g2.gno = 2;
  XaPrepareEvent prep{false, XaId{1, "ab", "c"}};
  std::vector<Transaction> out;
  for (Event e : {Ev(g1, 10), Query("XA START X'6162',X'63',1", 20), Rows(7, 30), Query("XA END X'6162',X'63',1", 40),
                  Ev(prep, 50), Ev(g2, 60), Query("XA COMMIT X'6162',X'63',1", 70)}) {
    ASSERT_TRUE(a.Add(std::move(e), 1, &out).ok());
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rows[0]->after[0][0].i, 7);
  EXPECT_EQ(a.position().gtid_state, "01000000-0000-0000-0000-000000000000:1-2");
}

TEST(AssemblerTest, OversizedTransactionIsAnError) {
  TransactionAssembler a(AssemblerOptions{25});
  ASSERT_TRUE(a.SetPosition({"0-1-1", "", 0}, true).ok());
  std::vector<Transaction> out;
  ASSERT_TRUE(a.Add(Gtid(2, 1), 10, &out).ok());
  ASSERT_TRUE(a.Add(Rows(1, 2), 10, &out).ok());
  EXPECT_EQ(a.Add(Rows(2, 3), 10, &out).code(), StatusCode::kResourceExhausted);
}

TEST(XaIdTest, ParseForms) {
  auto x = ParseXaIdFromStatement("XA COMMIT X'6162',X'',7");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->gtrid, "ab");
  EXPECT_EQ(x->format_id, 7);
  x = ParseXaIdFromStatement("xa rollback 'k''', 'b'");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->bqual, "b");
}

}  // namespace
}  // namespace sealgate::binlog
