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
  t.Expect(Command::kStmtExecute, 1);
  EXPECT_EQ(FeedAll(t, s.bytes(), 3).size(), 1u);
  // COM_STMT_FETCH: binary rows, then the terminator.
  Stream f(deprecate());
  f.Raw(std::string("\x00\x00\x01\x00\x00\x00", 6)).Terminator(status::kAutocommit | status::kLastRowSent);
  t.Expect(Command::kStmtFetch, 2);
  EXPECT_EQ(FeedAll(t, f.bytes(), 3).size(), 1u);
  EXPECT_TRUE(t.idle());
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

INSTANTIATE_TEST_SUITE_P(EofModes, TrackerTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "DeprecateEof" : "ClassicEof"; });

}  // namespace
}  // namespace sealgate::protocol
