#include "protocol/response_tracker.h"

#include <gtest/gtest.h>

#include "protocol/messages.h"
#include "protocol/wire.h"

namespace sealgate::protocol {
namespace {

// Builds server response streams the way MariaDB/MySQL send them.
class Stream {
 public:
  explicit Stream(bool deprecate_eof) : deprecate_eof_(deprecate_eof) {}
  Stream& Ok(uint16_t flags = status::kAutocommit) {
    seq_ = AppendPacket(&bytes_, seq_, BuildOk(0, 0, flags, 0));
    return *this;
  }
  Stream& Err() {
    seq_ = AppendPacket(&bytes_, seq_, BuildErr(1146, "42S02", "no table"));
    return *this;
  }
  Stream& Raw(const std::string& payload) {
    seq_ = AppendPacket(&bytes_, seq_, payload);
    return *this;
  }
  // A text result set with `columns` columns and `rows` rows.
  Stream& ResultSet(int columns, int rows, uint16_t flags = status::kAutocommit) {
    std::string count;
    PutLenencInt(&count, columns);
    Raw(count);
    for (int i = 0; i < columns; ++i) Raw(std::string("\x03" "def", 4) + std::string(20, 'c'));
    if (!deprecate_eof_) Raw(BuildEof(flags & ~status::kMoreResultsExist));
    for (int i = 0; i < rows; ++i) Raw(std::string("\x01") + std::to_string(i % 10));
    Terminator(flags);
    return *this;
  }
  Stream& Terminator(uint16_t flags) {
    if (deprecate_eof_) {
      std::string ok = BuildOk(0, 0, flags, 0);
      ok[0] = '\xfe';
      Raw(ok);
    } else {
      Raw(BuildEof(flags));
    }
    return *this;
  }
  Stream& NewResponse() {
    seq_ = 1;
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  bool deprecate_eof_;
  std::string bytes_;
  uint8_t seq_ = 1;
};

class TrackerTest : public ::testing::TestWithParam<bool> {
 protected:
  bool deprecate() const { return GetParam(); }
  // Feeds `bytes` in pieces of `step` bytes; returns the completions.
  std::vector<ResponseTracker::Completion> FeedAll(ResponseTracker& t, const std::string& bytes, size_t step) {
    std::vector<ResponseTracker::Completion> all;
    for (size_t i = 0; i < bytes.size(); i += step) {
      Status s = t.Feed(bytes.data() + i, std::min(step, bytes.size() - i));
      EXPECT_TRUE(s.ok()) << s.ToString();
      std::vector<ResponseTracker::Completion> done;
      t.TakeCompletions(&done);
      all.insert(all.end(), done.begin(), done.end());
    }
    return all;
  }
};

TEST_P(TrackerTest, PipelinedQueriesCompleteInOrderAtAnySplit) {
  Stream s(deprecate());
  s.ResultSet(2, 5).NewResponse().Err().NewResponse().Ok(status::kAutocommit | status::kInTrans).NewResponse().ResultSet(1, 0);
  for (size_t step : {size_t{1}, size_t{3}, size_t{17}, s.bytes().size()}) {
    ResponseTracker t(deprecate());
    for (uint64_t tag = 1; tag <= 4; ++tag) t.Expect(Command::kQuery, tag);
    auto done = FeedAll(t, s.bytes(), step);
    ASSERT_EQ(done.size(), 4u) << "step " << step;
    EXPECT_EQ(done[0].tag, 1u);
    EXPECT_TRUE(done[0].ok);
    EXPECT_FALSE(done[1].ok);
    EXPECT_TRUE(done[2].status_flags & status::kInTrans);
    EXPECT_EQ(done[3].tag, 4u);
    EXPECT_TRUE(t.idle());
    EXPECT_FALSE(t.in_transaction());
  }
}

TEST_P(TrackerTest, MultipleResultSetsStayInOneResponse) {
  Stream s(deprecate());
  s.ResultSet(1, 1, status::kAutocommit | status::kMoreResultsExist)
      .Ok(status::kAutocommit | status::kMoreResultsExist)
      .ResultSet(3, 2, status::kAutocommit | status::kMoreResultsExist)
      .Ok();
  ResponseTracker t(deprecate());
  t.Expect(Command::kQuery, 9);
  auto done = FeedAll(t, s.bytes(), 5);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(t.idle());
}

TEST_P(TrackerTest, ErrorInsideRowsEndsResponse) {
  Stream s(deprecate());
  std::string count;
  PutLenencInt(&count, 1);
  s.Raw(count).Raw(std::string("\x03" "def", 4));
  if (!deprecate()) s.Raw(BuildEof(status::kAutocommit));
  s.Raw("\x01" "a").Err();
  ResponseTracker t(deprecate());
  t.Expect(Command::kQuery, 1);
  auto done = FeedAll(t, s.bytes(), 4);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].ok);
}

TEST_P(TrackerTest, PrepareWithParamsAndColumns) {
  Stream s(deprecate());
  std::string ok;
  PutU8(&ok, 0);
  PutU32(&ok, 7);   // statement id
  PutU16(&ok, 2);   // columns
  PutU16(&ok, 3);   // params
  PutU8(&ok, 0);
  PutU16(&ok, 0);
  s.Raw(ok);
  for (int i = 0; i < 3; ++i) s.Raw(std::string("\x03" "def", 4));
  if (!deprecate()) s.Raw(BuildEof(status::kAutocommit));
  for (int i = 0; i < 2; ++i) s.Raw(std::string("\x03" "def", 4));
  if (!deprecate()) s.Raw(BuildEof(status::kAutocommit));
  ResponseTracker t(deprecate());
  t.Expect(Command::kStmtPrepare, 1);
  t.Expect(Command::kStmtClose, 2);  // no response
  t.Expect(Command::kPing, 3);
  s.NewResponse().Ok();
  auto done = FeedAll(t, s.bytes(), 2);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].command, Command::kStmtPrepare);
  EXPECT_EQ(done[1].command, Command::kPing);
}

TEST_P(TrackerTest, LocalInfileWaitsForClientData) {
  ResponseTracker t(deprecate());
  t.Expect(Command::kQuery, 1);
  Stream s(deprecate());
  s.Raw("\xfb/tmp/file");
  EXPECT_TRUE(FeedAll(t, s.bytes(), 100).empty());
  EXPECT_TRUE(t.awaiting_local_infile_data());
  EXPECT_FALSE(t.idle());
  t.LocalInfileDataSent();
  Stream reply(deprecate());
  reply.Ok();
  EXPECT_EQ(FeedAll(t, reply.bytes(), 100).size(), 1u);
  EXPECT_TRUE(t.idle());
}

TEST_P(TrackerTest, ChangeUserAuthExchange) {
  ResponseTracker t(deprecate());
  t.Expect(Command::kChangeUser, 1);
  Stream s(deprecate());
  s.Raw(std::string("\xfe" "client_ed25519\0salt", 20));
  EXPECT_TRUE(FeedAll(t, s.bytes(), 100).empty());
  EXPECT_TRUE(t.in_auth_exchange());
  Stream ok(deprecate());
  ok.Ok();
  EXPECT_EQ(FeedAll(t, ok.bytes(), 100).size(), 1u);
  EXPECT_FALSE(t.in_auth_exchange());
}

TEST_P(TrackerTest, CursorOpenedByExecuteEndsAfterMetadata) {
  // The metadata ends with EOF (or the OK-format terminator) flagged CURSOR_EXISTS, and no rows.
  Stream s(deprecate());
  std::string count;
  PutLenencInt(&count, 1);
  s.Raw(count).Raw(std::string("\x03" "def", 4)).Terminator(status::kAutocommit | status::kCursorExists);
  ResponseTracker t(deprecate());
  t.Expect(Command::kStmtExecute, 1, ResponseTracker::Cursor::kRequested);
  EXPECT_EQ(FeedAll(t, s.bytes(), 3).size(), 1u);
  // COM_STMT_FETCH: binary rows, then the terminator.
  Stream f(deprecate());
  f.Raw(std::string("\x00\x00\x01\x00\x00\x00", 6)).Terminator(status::kAutocommit | status::kLastRowSent);
  t.Expect(Command::kStmtFetch, 2);
  EXPECT_EQ(FeedAll(t, f.bytes(), 3).size(), 1u);
  EXPECT_TRUE(t.idle());
}

// A stored program's SELECT while one of its own cursors is open: the server
// flags the result CURSOR_EXISTS, yet its rows follow at once.
TEST_P(TrackerTest, SelectWhileAStoredProgramCursorIsOpenKeepsItsRows) {
  const uint16_t open = status::kAutocommit | status::kCursorExists;
  for (Command command : {Command::kQuery, Command::kStmtExecute}) {  // CALL p() by either protocol
    Stream s(deprecate());
    std::string count;
    PutLenencInt(&count, 1);
    s.Raw(count).Raw(std::string("\x03" "def", 4));
    if (!deprecate()) s.Raw(BuildEof(open | status::kMoreResultsExist));
    s.Raw("\x01" "1").Terminator(open | status::kMoreResultsExist).Ok();
    s.NewResponse().ResultSet(1, 1);  // the next statement
    // Also a CALL executed with a cursor requested: its results all say
    // MORE_RESULTS_EXIST, so none of them is the requested cursor.
    for (auto cursor : {ResponseTracker::Cursor::kNone, ResponseTracker::Cursor::kRequested}) {
      if (command != Command::kStmtExecute && cursor == ResponseTracker::Cursor::kRequested) continue;
      for (size_t step : {size_t{1}, size_t{4}, s.bytes().size()}) {
        ResponseTracker t(deprecate());
        t.Expect(command, 1, cursor);
        t.Expect(Command::kQuery, 2);
        auto done = FeedAll(t, s.bytes(), step);
        ASSERT_EQ(done.size(), 2u) << "step " << step;
        EXPECT_TRUE(done[0].ok);
        EXPECT_TRUE(done[1].ok);
        EXPECT_TRUE(t.idle());
      }
    }
  }
}

// Only the flags byte of COM_STMT_EXECUTE asks for a cursor.
TEST(TrackerCursorRequest, ReadFromTheExecuteFlags) {
  auto execute = [](uint8_t flags) {
    std::string p(1, static_cast<char>(Command::kStmtExecute));
    PutU32(&p, 7);
    PutU8(&p, flags);
    PutU32(&p, 1);
    return p;
  };
  using C = ResponseTracker::Cursor;
  EXPECT_EQ(ResponseTracker::CursorOf(execute(0x00)), C::kNone);
  EXPECT_EQ(ResponseTracker::CursorOf(execute(0x01)), C::kRequested);  // CURSOR_TYPE_READ_ONLY
  EXPECT_EQ(ResponseTracker::CursorOf(execute(0x02)), C::kRequested);  // FOR_UPDATE
  EXPECT_EQ(ResponseTracker::CursorOf(execute(0x04)), C::kRequested);  // SCROLLABLE
  EXPECT_EQ(ResponseTracker::CursorOf(execute(0x08)), C::kNone);       // PARAMETER_COUNT_AVAILABLE
  EXPECT_EQ(ResponseTracker::CursorOf(execute(0x01).substr(0, 5)), C::kNone);  // truncated
  EXPECT_EQ(ResponseTracker::CursorOf(std::string("\x03" "SELECT 1", 9)), C::kNone);
  EXPECT_EQ(ResponseTracker::CursorOf(""), C::kNone);
}

// A cursor execute that fails once its metadata is out (1242, subquery
// returns more than one row) ends with ERR where the EOF would be.
TEST_P(TrackerTest, CursorExecuteFailingAfterMetadataEndsWithErr) {
  Stream s(deprecate());
  std::string count;
  PutLenencInt(&count, 1);
  s.Raw(count).Raw(std::string("\x03" "def", 4)).Raw(BuildErr(1242, "21000", "Subquery returns more than 1 row"));
  s.NewResponse().ResultSet(1, 1);  // the next statement
  for (auto cursor : {ResponseTracker::Cursor::kRequested, ResponseTracker::Cursor::kNone}) {
    for (size_t step : {size_t{1}, size_t{5}, s.bytes().size()}) {
      ResponseTracker t(deprecate());
      t.Expect(Command::kStmtExecute, 1, cursor);
      t.Expect(Command::kQuery, 2);
      auto done = FeedAll(t, s.bytes(), step);
      ASSERT_EQ(done.size(), 2u) << "step " << step;
      EXPECT_FALSE(done[0].ok);
      EXPECT_TRUE(done[1].ok);
      EXPECT_TRUE(t.idle());
    }
  }
}

TEST_P(TrackerTest, StatisticsAndFieldList) {
  ResponseTracker t(deprecate());
  t.Expect(Command::kStatistics, 1);
  t.Expect(Command::kFieldList, 2);
  Stream s(deprecate());
  s.Raw("Uptime: 5  Threads: 1");
  s.NewResponse().Raw(std::string("\x03" "def", 4)).Raw(std::string("\x03" "def", 4)).Raw(BuildEof(status::kAutocommit));
  if (deprecate()) {
    // With CLIENT_DEPRECATE_EOF the field list still ends with a 0xfe packet.
  }
  EXPECT_EQ(FeedAll(t, s.bytes(), 6).size(), 2u);
}

TEST_P(TrackerTest, UnsolicitedServerPacketIsAnError) {
  ResponseTracker t(deprecate());
  Stream s(deprecate());
  s.Ok();
  EXPECT_FALSE(t.Feed(s.bytes().data(), s.bytes().size()).ok());
}

TEST_P(TrackerTest, RowsOf16MiBAndMore) {
  Stream s(deprecate());
  std::string count;
  PutLenencInt(&count, 1);
  s.Raw(count).Raw(std::string("\x03" "def", 4));
  if (!deprecate()) s.Raw(BuildEof(status::kAutocommit));
  std::string row;
  PutLenencString(&row, std::string(0x1000010, '\xfe'));  // starts with 0xfe, like a terminator would
  s.Raw(row);
  s.Terminator(status::kAutocommit);
  ResponseTracker t(deprecate());
  t.Expect(Command::kQuery, 1);
  auto done = FeedAll(t, s.bytes(), 1 << 20);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_TRUE(t.idle());
}

// COM_STMT_BULK_EXECUTE (array binding) is answered as COM_STMT_EXECUTE is:
// one OK or ERR for all rows, or a result set (INSERT ... RETURNING, or one row
// per parameter set with STMT_BULK_FLAG_SEND_UNIT_RESULTS).
TEST_P(TrackerTest, BulkExecuteAnswersOkErrOrAResultSet) {
  Stream s(deprecate());
  s.Ok(status::kAutocommit | status::kInTrans);
  s.NewResponse().Err();
  s.NewResponse().ResultSet(2, 3);
  s.NewResponse().ResultSet(2, 2, status::kAutocommit | status::kMoreResultsExist).Ok();
  s.NewResponse().ResultSet(1, 1);  // the next statement
  for (size_t step : {size_t{1}, size_t{6}, s.bytes().size()}) {
    ResponseTracker t(deprecate());
    for (uint64_t tag = 1; tag <= 4; ++tag) t.Expect(Command::kStmtBulkExecute, tag);
    t.Expect(Command::kQuery, 5);
    auto done = FeedAll(t, s.bytes(), step);
    ASSERT_EQ(done.size(), 5u) << "step " << step;
    EXPECT_EQ(done[0].command, Command::kStmtBulkExecute);
    EXPECT_TRUE(done[0].ok);
    EXPECT_TRUE(done[0].status_flags & status::kInTrans);
    EXPECT_FALSE(done[1].ok);
    EXPECT_TRUE(done[2].ok);
    EXPECT_TRUE(done[3].ok);
    EXPECT_EQ(done[4].tag, 5u);
    EXPECT_TRUE(t.idle());
  }
}

// With MariaDB metadata caching every column count carries a "metadata
// follows" byte; at 0 the column definitions are left out (an execute of a
// statement whose result the client already knows), the EOF after them is not.
TEST_P(TrackerTest, CachedMetadataLeftOutOfAResult) {
  auto count = [](int columns, uint8_t follows) {
    std::string p;
    PutLenencInt(&p, columns);
    PutU8(&p, follows);
    return p;
  };
  Stream s(deprecate());
  // COM_QUERY: definitions follow.
  s.Raw(count(2, 1)).Raw(std::string("\x03" "def", 4)).Raw(std::string("\x03" "def", 4));
  if (!deprecate()) s.Raw(BuildEof(status::kAutocommit));
  s.Raw("\x01" "a" "\x01" "b").Terminator(status::kAutocommit);
  // COM_STMT_EXECUTE: definitions left out, two binary rows.
  s.NewResponse().Raw(count(2, 0));
  if (!deprecate()) s.Raw(BuildEof(status::kAutocommit));
  s.Raw(std::string("\x00\x00\x01\x61\x01\x62", 6)).Raw(std::string("\x00\x00\x01\x63\x01\x64", 6));
  s.Terminator(status::kAutocommit);
  // A cursor execute, definitions left out: ends at the EOF flagged CURSOR_EXISTS.
  s.NewResponse().Raw(count(1, 0)).Terminator(status::kAutocommit | status::kCursorExists);
  s.NewResponse().Ok();  // the next command
  for (size_t step : {size_t{1}, size_t{4}, s.bytes().size()}) {
    ResponseTracker t(ResponseFormat{deprecate(), /*cache_metadata=*/true});
    t.Expect(Command::kQuery, 1);
    t.Expect(Command::kStmtExecute, 2);
    t.Expect(Command::kStmtExecute, 3, ResponseTracker::Cursor::kRequested);
    t.Expect(Command::kPing, 4);
    auto done = FeedAll(t, s.bytes(), step);
    ASSERT_EQ(done.size(), 4u) << "step " << step;
    for (const auto& d : done) EXPECT_TRUE(d.ok) << d.tag;
    EXPECT_EQ(done[3].tag, 4u);
    EXPECT_TRUE(t.idle());
  }
}

// MARIADB_CLIENT_PROGRESS: reports before a statement's OK and between the
// results of a multi-statement end nothing; without the capability a packet
// with error number 0xffff is an ERR like any other.
TEST_P(TrackerTest, ProgressReportsEndNothing) {
  ProgressReport report;
  report.stage = 1;
  report.max_stage = 2;
  report.percent = 45.5;
  report.stage_name = "copy to tmp table";
  const std::string progress = BuildProgressReport(report);
  Stream s(deprecate());
  s.Raw(progress).Raw(progress).Ok();
  s.NewResponse().Raw(progress).ResultSet(1, 2, status::kAutocommit | status::kMoreResultsExist).Raw(progress).Ok();
  s.NewResponse().Ok();
  for (size_t step : {size_t{1}, size_t{5}, s.bytes().size()}) {
    ResponseTracker t(ResponseFormat{deprecate(), false, /*progress_reports=*/true});
    t.Expect(Command::kQuery, 1);
    t.Expect(Command::kQuery, 2);
    t.Expect(Command::kPing, 3);
    auto done = FeedAll(t, s.bytes(), step);
    ASSERT_EQ(done.size(), 3u) << "step " << step;
    for (const auto& d : done) EXPECT_TRUE(d.ok) << d.tag;
    EXPECT_TRUE(t.idle());
  }
  ResponseTracker plain(deprecate());
  plain.Expect(Command::kQuery, 1);
  auto done = FeedAll(plain, Stream(deprecate()).Raw(progress).bytes(), 64);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_FALSE(done[0].ok);
}

TEST(ProgressReport, BuiltAsTheServerSendsAndParsedBack) {
  ProgressReport report;
  report.stage = 2;
  report.max_stage = 3;
  report.percent = 12.345;
  report.stage_name = "catching up";
  std::string p = BuildProgressReport(report);
  ASSERT_GE(p.size(), 9u);
  EXPECT_EQ(p.substr(0, 4), std::string("\xff\xff\xff\x01", 4));
  EXPECT_EQ(static_cast<uint8_t>(p[4]), 2);
  EXPECT_EQ(static_cast<uint8_t>(p[5]), 3);
  EXPECT_EQ(LoadLE(reinterpret_cast<const unsigned char*>(p.data()) + 6, 3), 12345u);
  EXPECT_TRUE(IsProgressReport(p));
  auto back = ParseProgressReport(p);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->stage, 2);
  EXPECT_EQ(back->max_stage, 3);
  EXPECT_DOUBLE_EQ(back->percent, 12.345);
  EXPECT_EQ(back->stage_name, "catching up");
  EXPECT_FALSE(IsProgressReport(BuildErr(1146, "42S02", "no table")));
  for (size_t cut = 0; cut < p.size(); ++cut) EXPECT_FALSE(ParseProgressReport(p.substr(0, cut)).ok()) << cut;
}

TEST_P(TrackerTest, APreparedStatementsIdIsReported) {
  Stream s(deprecate());
  std::string ok;
  PutU8(&ok, 0);
  PutU32(&ok, 0x01020304);
  PutU16(&ok, 0);
  PutU16(&ok, 0);
  PutU8(&ok, 0);
  PutU16(&ok, 0);
  s.Raw(ok).NewResponse().Err();
  ResponseTracker t(deprecate());
  t.Expect(Command::kStmtPrepare, 1);
  t.Expect(Command::kStmtPrepare, 2);
  auto done = FeedAll(t, s.bytes(), 3);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done[0].ok);
  EXPECT_EQ(done[0].statement_id, 0x01020304u);
  EXPECT_FALSE(done[1].ok);
  EXPECT_EQ(done[1].statement_id, 0u);
}

// Without its "metadata follows" byte a column count cannot be followed.
TEST_P(TrackerTest, CachedMetadataColumnCountWithoutItsByteIsAnError) {
  Stream s(deprecate());
  s.Raw("\x01");
  ResponseTracker t(ResponseFormat{deprecate(), /*cache_metadata=*/true});
  t.Expect(Command::kStmtExecute, 1);
  EXPECT_FALSE(t.Feed(s.bytes().data(), s.bytes().size()).ok());
}

// Bytes MariaDB 10.11 sent (Connector/C client, no CLIENT_DEPRECATE_EOF).
std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// BEGIN NOT ATOMIC DECLARE v INT; DECLARE c CURSOR FOR SELECT 1; OPEN c;
// FETCH c INTO v; SELECT v; CLOSE c; END — then SELECT 2.
TEST(TrackerCaptured, AnonymousBlockSelectWithOpenCursor) {
  std::string response = FromHex(
      "020000010101"
      "190000020364656600000001760176000c3f000b000000030000000000"
      "05000003fe00004a00"  // end of metadata: AUTOCOMMIT | MORE_RESULTS | CURSOR_EXISTS
      "020000040131"
      "05000005fe00004a00"
      "0700000600000002000000");
  std::string next = FromHex(
      "020000010101"
      "1800000203646566000000013200000c3f0001000000038100000000"
      "05000003fe00000200"
      "020000040132"
      "05000005fe00000200");
  ResponseTracker t(false);
  t.Expect(Command::kQuery, 1);
  ASSERT_TRUE(t.Feed(response.data(), response.size()).ok());
  EXPECT_TRUE(t.idle());
  t.Expect(Command::kQuery, 2);
  ASSERT_TRUE(t.Feed(next.data(), next.size()).ok());
  std::vector<ResponseTracker::Completion> done;
  t.TakeCompletions(&done);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done[0].ok);
  EXPECT_TRUE(done[1].ok);
  EXPECT_TRUE(t.idle());
}

// A read-only cursor COM_STMT_EXECUTE of SELECT 1 < (SELECT a FROM ce), two
// rows in ce: column count, one definition, then ERR 1242 — then SELECT 5.
TEST(TrackerCaptured, CursorExecuteErrAfterMetadata) {
  std::string execute = FromHex("17010000000101000000");
  ASSERT_EQ(ResponseTracker::CursorOf(execute), ResponseTracker::Cursor::kRequested);
  std::string response = FromHex(
      "020000010101"
      "4f000002036465660000001c31203c202853454c45435420612046524f4d2063617064622e6365291c31203c202853454c45"
      "435420612046524f4d2063617064622e636529000c3f0001000000030000000000"
      "29000003ffda0423323130303053756271756572792072657475726e73206d6f7265207468616e203120726f77");
  std::string next = FromHex(
      "020000010101"
      "1800000203646566000000013500000c3f0001000000038100000000"
      "05000003fe00000200"
      "020000040135"
      "05000005fe00000200");
  ResponseTracker t(false);
  t.Expect(Command::kStmtExecute, 1, ResponseTracker::CursorOf(execute));
  ASSERT_TRUE(t.Feed(response.data(), response.size()).ok());
  t.Expect(Command::kQuery, 2);
  ASSERT_TRUE(t.Feed(next.data(), next.size()).ok());
  std::vector<ResponseTracker::Completion> done;
  t.TakeCompletions(&done);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_FALSE(done[0].ok);
  EXPECT_TRUE(done[1].ok);
  EXPECT_TRUE(t.idle());
}

// Connector/C's array binding of INSERT INTO t (v) VALUES (?) with three
// rows, MariaDB 10.11's answers: OK; with RETURNING id, v a binary result set;
// on a duplicate key ERR 1062. Each followed by SELECT 5.
TEST(TrackerCaptured, BulkExecuteResponses) {
  std::string bulk = FromHex("fa010000008000fe00000161000262620003636363");
  ASSERT_EQ(static_cast<Command>(static_cast<uint8_t>(bulk[0])), Command::kStmtBulkExecute);
  EXPECT_EQ(ResponseTracker::CursorOf(bulk), ResponseTracker::Cursor::kNone);
  const std::string ok = FromHex(
      "2e00000100030102000000265265636f7264733a203320204475706c6963617465733a203020205761726e696e67733a2030");
  const std::string returning = FromHex(
      "020000010201"
      "24000002036465660762756c6b63617001740174026964026964000c3f000b000000030342000000"
      "22000003036465660762756c6b6361700174017401760176000c2d0050000000fd0000000000"
      "05000004fe00000200"
      "080000050000010000000161"
      "09000006000002000000026262"
      "0a00000700000300000003636363"
      "05000008fe00000200");
  const std::string duplicate = FromHex(
      "2e000001ff26042332333030304475706c696361746520656e7472792027312720666f72206b657920275052494d41525927");
  const std::string next = FromHex(
      "020000010101"
      "1800000203646566000000013500000c3f0001000000038100000000"
      "05000003fe00000200"
      "020000040135"
      "05000005fe00000200");
  for (const std::string* response : {&ok, &returning, &duplicate}) {
    ResponseTracker t(false);
    t.Expect(Command::kStmtBulkExecute, 1);
    t.Expect(Command::kQuery, 2);
    std::string both = *response + next;
    ASSERT_TRUE(t.Feed(both.data(), both.size()).ok());
    std::vector<ResponseTracker::Completion> done;
    t.TakeCompletions(&done);
    ASSERT_EQ(done.size(), 2u);
    EXPECT_EQ(done[0].ok, response != &duplicate);
    EXPECT_TRUE(done[1].ok);
    EXPECT_TRUE(t.idle());
  }
}

// test_cache_metadata of mariadb-client-test: SELECT ? executed with its
// metadata, then again without (column count 1, metadata follows 0), then
// SELECT * FROM t1 of an empty table without it.
TEST(TrackerCaptured, ExecuteWithCachedMetadata) {
  const std::string with = FromHex(
      "020000010101"
      "1800000203646566000000013f00000c2d0010000000fe0100270000"
      "05000003fe00000200"
      "07000004000004626c6168"
      "05000005fe00000200");
  const std::string without = FromHex(
      "020000010100"
      "05000002fe00000200"
      "07000003000004626c6168"
      "05000004fe00000200");
  const std::string empty_without = FromHex(
      "020000010200"
      "05000002fe00000200"
      "05000003fe00000200");
  ResponseTracker t(ResponseFormat{/*deprecate_eof=*/false, /*cache_metadata=*/true});
  std::vector<ResponseTracker::Completion> done;
  for (const std::string* response : {&with, &without, &empty_without}) {
    t.Expect(Command::kStmtExecute, 1);
    ASSERT_TRUE(t.Feed(response->data(), response->size()).ok());
    t.TakeCompletions(&done);
    ASSERT_EQ(done.size(), 1u);
    EXPECT_TRUE(done[0].ok);
    EXPECT_TRUE(t.idle());
  }
}

INSTANTIATE_TEST_SUITE_P(EofModes, TrackerTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "DeprecateEof" : "ClassicEof"; });

}  // namespace
}  // namespace sealgate::protocol
