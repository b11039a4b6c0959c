// The engine's guards as pure decisions: replica lag verdicts, the client
// latency throttle and composite throttling, binlog retention against a checkpoint, the shadow storage check.
#include <gtest/gtest.h>

#include "migration/binlog_retention.h"
#include "migration/client_latency.h"
#include "migration/storage_guard.h"
#include "migration/throttler.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

using std::chrono::seconds;

const std::vector<std::string> kMariaColumns = {"Slave_IO_State", "Master_Host", "Seconds_Behind_Master"};

// Client latency: one-second windows of statements fed at chosen instants.
class ClientLatency : public ::testing::Test {
 protected:
  using Clock = ClientLatencyThrottler::Clock;
  // `n` statements of `ms` milliseconds in second `sec` (spread over its first 0.8 s).
  void Window(int sec, double ms, int n = 100) {
    for (int i = 0; i < n; ++i) {
      throttle_.RecordAt(At(sec, 800 * i / n), std::chrono::microseconds(int64_t(ms * 1000)));
    }
  }
  std::string Ask(int sec, int ms = 900) { return throttle_.ReasonAt(At(sec, ms)); }
  Clock::time_point At(int sec, int ms) { return base_ + std::chrono::seconds(sec) + std::chrono::milliseconds(ms); }

  ClientLatencyThrottler throttle_;
  Clock::time_point base_ = Clock::now();
};

TEST_F(ClientLatency, NoVerdictWithoutABaseline) {
  Window(0, 50);
  Window(1, 50);
  EXPECT_EQ(Ask(2), "");  // one window closed, not three quiet ones
}

TEST_F(ClientLatency, SlowerThanWithoutACopyThrottlesAndRecovers) {
  for (int s = 0; s < 5; ++s) Window(s, 10);  // quiet: the baseline is ~10 ms
  EXPECT_EQ(Ask(5, 0), "");                    // window 4 closes: 10 ms is the baseline
  Window(5, 11);                               // a copy runs: a little slower is fine
  EXPECT_EQ(Ask(6, 0), "");
  Window(6, 30);
  std::string why = Ask(7, 0);
  EXPECT_NE(why.find("client p95"), std::string::npos) << why;
  EXPECT_NE(why.find("without a copy"), std::string::npos) << why;
  Window(7, 10);
  EXPECT_EQ(Ask(8, 0), "");
  // Windows while the copy asked are not taken as the baseline.
  auto snap = throttle_.snapshot();
  EXPECT_EQ(snap.baseline_windows, 5u);  // windows 0..4: no question in them
  EXPECT_GT(snap.baseline_p95_ms, 9.0);
  EXPECT_LT(snap.baseline_p95_ms, 13.0);
}

TEST_F(ClientLatency, SubMillisecondNoiseDoesNotThrottle) {
  for (int s = 0; s < 5; ++s) Window(s, 0.2);
  EXPECT_EQ(Ask(5, 0), "");
  Window(5, 0.45);  // over 2x, but not 0.5 ms more: under min_excess
  EXPECT_EQ(Ask(6, 0), "");
  Window(6, 5);
  EXPECT_NE(Ask(7, 0), "");
}

TEST_F(ClientLatency, TooFewStatementsOrAStaleWindowGiveNoVerdict) {
  for (int s = 0; s < 5; ++s) Window(s, 10);
  EXPECT_EQ(Ask(5, 0), "");
  Window(5, 100, 10);  // 10 statements: no verdict
  EXPECT_EQ(Ask(6, 0), "");
  Window(6, 100);
  EXPECT_NE(Ask(7, 0), "");
  EXPECT_EQ(Ask(10), "");  // no statements since: the last verdict is stale
}

TEST_F(ClientLatency, P95IsNeverUnderstated) {
  for (int s = 0; s < 3; ++s) {
    for (int i = 0; i < 100; ++i) throttle_.RecordAt(At(s, i), std::chrono::milliseconds(i < 94 ? 1 : 40));
  }
  throttle_.RecordAt(At(3, 0), std::chrono::milliseconds(1));
  auto snap = throttle_.snapshot();
  EXPECT_GE(snap.last_p95_ms, 40.0);  // the 95th of 100 is a 40 ms one
  EXPECT_LT(snap.last_p95_ms, 40.0 * 1.25 + 0.01);
  EXPECT_EQ(snap.last_count, 100u);
}

TEST(ReplicaLagVerdict, LagWithinTheLimitDoesNotThrottle) {
  EXPECT_EQ(ReplicaLagVerdict("r1:3306", kMariaColumns, {{"Waiting", "db", "3"}}, seconds(10)), "");
  EXPECT_EQ(ReplicaLagVerdict("r1:3306", kMariaColumns, {{"Waiting", "db", "10"}}, seconds(10)), "");
}

TEST(ReplicaLagVerdict, LagAboveTheLimitThrottlesNamingTheReplica) {
  std::string why = ReplicaLagVerdict("r1:3306", kMariaColumns, {{"Waiting", "db", "11"}}, seconds(10));
  EXPECT_EQ(why, "replica r1:3306 lag 11 s > 10 s");
}

TEST(ReplicaLagVerdict, MySqlSpellingIsRead) {
  std::vector<std::string> mysql = {"Replica_IO_State", "Source_Host", "Seconds_Behind_Source"};
  EXPECT_EQ(ReplicaLagVerdict("r", mysql, {{"x", "y", "0"}}, seconds(1)), "");
  EXPECT_NE(ReplicaLagVerdict("r", mysql, {{"x", "y", "5"}}, seconds(1)), "");
}

TEST(ReplicaLagVerdict, UnknownLagThrottles) {
  EXPECT_NE(ReplicaLagVerdict("r", kMariaColumns, {}, seconds(10)).find("not replicating"), std::string::npos);
  EXPECT_NE(ReplicaLagVerdict("r", kMariaColumns, {{"", "db", std::nullopt}}, seconds(10)).find("stopped"),
            std::string::npos);
  EXPECT_NE(ReplicaLagVerdict("r", {"Other"}, {{"1"}}, seconds(10)), "");
}

class FixedThrottler : public Throttler {
 public:
  explicit FixedThrottler(std::string reason) : reason_(std::move(reason)) {}
  std::string Reason() override {
    ++asked;
    return reason_;
  }
  int asked = 0;

 private:
  std::string reason_;
};

TEST(CompositeThrottler, JoinsTheReasonsOfEveryPartThatThrottles) {
  auto quiet = std::make_shared<FixedThrottler>("");
  auto busy = std::make_shared<FixedThrottler>("Threads_running=80 > 50");
  auto lag = std::make_shared<FixedThrottler>("replica r lag 30 s > 10 s");
  EXPECT_EQ(CompositeThrottler({quiet}).Reason(), "");
  EXPECT_EQ(CompositeThrottler({quiet, busy}).Reason(), "Threads_running=80 > 50");
  EXPECT_EQ(CompositeThrottler({busy, quiet, lag}).Reason(), "Threads_running=80 > 50; replica r lag 30 s > 10 s");
  EXPECT_GE(quiet->asked, 3);  // every part is asked
}

BinlogRetentionInput Server(int64_t expire, std::vector<std::string> files) {
  BinlogRetentionInput in;
  in.expire = seconds(expire);
  in.files = std::move(files);
  in.now = 1'000'000;
  return in;
}

TEST(BinlogRetention, FileOrderIsNumeric) {
  EXPECT_TRUE(BinlogFileBefore("binlog.000009", "binlog.000010"));
  EXPECT_TRUE(BinlogFileBefore("binlog.999999", "binlog.1000000"));
  EXPECT_FALSE(BinlogFileBefore("binlog.000010", "binlog.000010"));
  EXPECT_FALSE(BinlogFileBefore("binlog.000011", "binlog.000010"));
}

TEST(BinlogRetention, NeverExpiringBinlogsNeverWarn) {
  auto v = JudgeRetention(Server(0, {"b.000001", "b.000002"}), "b.000001", seconds(3600));
  EXPECT_EQ(v.level, RetentionVerdict::Level::kOk);
  EXPECT_FALSE(v.purge_in.has_value());
}

TEST(BinlogRetention, TheFileBeingWrittenIsSafeForTheWholeRetention) {
  auto in = Server(86400, {"b.000001", "b.000002"});
  auto v = JudgeRetention(in, "b.000002", seconds(3600));
  EXPECT_EQ(v.level, RetentionVerdict::Level::kOk);
  EXPECT_EQ(v.purge_in, 86400);
}

TEST(BinlogRetention, AShortRetentionWarnsEvenOnTheCurrentFile) {
  auto v = JudgeRetention(Server(60, {"b.000001"}), "b.000001", seconds(3600));
  EXPECT_EQ(v.level, RetentionVerdict::Level::kWarn);
  EXPECT_EQ(v.purge_in, 60);
  EXPECT_NE(v.message.find("binlog_expire_logs_seconds=60"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("SET GLOBAL binlog_expire_logs_seconds"), std::string::npos) << v.message;
}

TEST(BinlogRetention, ARotatedFileCountsFromItsLastEvent) {
  auto in = Server(86400, {"b.000001", "b.000002", "b.000003"});
  in.last_event_at["b.000002"] = in.now - 86400 + 1800;  // purged in 30 min
  auto v = JudgeRetention(in, "b.000002", seconds(3600));
  EXPECT_EQ(v.level, RetentionVerdict::Level::kWarn);
  EXPECT_EQ(v.purge_in, 1800);
  EXPECT_NE(v.message.find("30 min"), std::string::npos) << v.message;
  in.last_event_at["b.000002"] = in.now - 3600;  // 23 h left
  v = JudgeRetention(in, "b.000002", seconds(3600));
  EXPECT_EQ(v.level, RetentionVerdict::Level::kOk);
  EXPECT_EQ(v.purge_in, 86400 - 3600);
}

TEST(BinlogRetention, OverdueFileIsPurgedAtTheNextPurge) {
  auto in = Server(600, {"b.000001", "b.000002"});
  in.last_event_at["b.000001"] = in.now - 7200;
  auto v = JudgeRetention(in, "b.000001", seconds(3600));
  EXPECT_EQ(v.level, RetentionVerdict::Level::kWarn);
  EXPECT_LE(*v.purge_in, 0);
  EXPECT_NE(v.message.find("next binlog purge"), std::string::npos) << v.message;
}

TEST(BinlogRetention, AFileOlderThanTheOldestOnTheServerIsGone) {
  auto v = JudgeRetention(Server(600, {"b.000005", "b.000006"}), "b.000004", seconds(3600));
  EXPECT_EQ(v.level, RetentionVerdict::Level::kPurged);
  EXPECT_NE(v.message.find("already purged"), std::string::npos) << v.message;
}

TEST(BinlogRetention, NothingKnownSaysNothing) {
  EXPECT_EQ(JudgeRetention(Server(60, {}), "b.000001", seconds(3600)).level, RetentionVerdict::Level::kOk);
  EXPECT_EQ(JudgeRetention(Server(60, {"b.000001"}), "", seconds(3600)).level, RetentionVerdict::Level::kOk);
}

TEST(ShadowStorage, UnderTheCeilingAndWithinFreeSpacePasses) {
  StorageLimits limits;
  limits.max_shadow_bytes = 1000;
  limits.headroom_percent = 50;
  ShadowNeed need{400, 500, 0};
  EXPECT_TRUE(CheckShadowStorage(limits, need, 600).ok());
  EXPECT_TRUE(CheckShadowStorage(limits, need, std::nullopt).ok());
}

TEST(ShadowStorage, OverTheCeilingIsRefusedWithItsOwnNumber) {
  StorageLimits limits;
  limits.max_shadow_bytes = 1000;
  Status s = CheckShadowStorage(limits, ShadowNeed{400, 601, 0}, std::nullopt);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.mysql_errno(), error::kMigrationShadowLimit);
  EXPECT_NE(s.message().find("storage.max_shadow_bytes"), std::string::npos) << s.message();
}

TEST(ShadowStorage, FreeSpaceMustHoldTheNeedWithHeadroom) {
  StorageLimits limits;
  limits.headroom_percent = 50;
  ShadowNeed need{400, 0, 200};  // 600 still to write, 900 with headroom
  EXPECT_TRUE(CheckShadowStorage(limits, need, 900).ok());
  Status s = CheckShadowStorage(limits, need, 899);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.mysql_errno(), error::kInspectFreeSpace);
  EXPECT_NE(s.message().find("free"), std::string::npos) << s.message();
  limits.headroom_percent = 0;
  EXPECT_TRUE(CheckShadowStorage(limits, need, 600).ok());
}

TEST(ShadowStorage, HeadroomDoesNotOverflowForHugeTables) {
  StorageLimits limits;
  limits.headroom_percent = 100;
  ShadowNeed need{uint64_t(1) << 62, 0, 0};
  EXPECT_FALSE(CheckShadowStorage(limits, need, uint64_t(1) << 62).ok());
}

TEST(ShadowStorage, LocalFreeBytesOfAnExistingPath) {
  EXPECT_TRUE(LocalFreeBytes("/").has_value());
  EXPECT_FALSE(LocalFreeBytes("/no/such/dir/anywhere").has_value());
  EXPECT_FALSE(LocalFreeBytes("").has_value());
}

TEST(ShadowStorage, BytesAreShownReadably) {
  EXPECT_EQ(FormatBytes(800), "800 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(uint64_t(10) << 30), "10.0 GiB");
}

}  // namespace
}  // namespace sealgate::migration
