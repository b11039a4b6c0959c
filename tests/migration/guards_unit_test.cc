// The engine's guards as pure decisions: replica lag verdicts and composite
// throttling, binlog retention against a checkpoint, the shadow storage check.
#include <gtest/gtest.h>

#include "migration/binlog_retention.h"
#include "migration/storage_guard.h"
#include "migration/throttler.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

using std::chrono::seconds;

const std::vector<std::string> kMariaColumns = {"Slave_IO_State", "Master_Host", "Seconds_Behind_Master"};

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
