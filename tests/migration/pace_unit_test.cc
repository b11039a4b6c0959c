// ApplyPace and CopyPace: the applier's and the copy's pace against the table's writes, from samples fed
// at chosen instants.
#include <gtest/gtest.h>

#include "migration/pace.h"

namespace sealgate::migration {
namespace {

using std::chrono::milliseconds;

class ApplyPaceTest : public ::testing::Test {
 protected:
  using Clock = ApplyPace::Clock;
  // One sample a second from second `from` to `to` (inclusive): rows applied
  // grow by `rows_per_s`, the lag moves by `lag_per_s` seconds a second.
  void Run(int from, int to, double rows_per_s, double lag_per_s, bool applying = true) {
    for (int s = from; s <= to; ++s) {
      rows_ += s > from || from == 0 ? uint64_t(rows_per_s) : 0;
      lag_ms_ = std::max(0.0, lag_ms_ + (s > from ? lag_per_s * 1000 : 0));
      pace_.Sample(base_ + std::chrono::seconds(s), rows_, milliseconds(int64_t(lag_ms_)), applying);
    }
  }
  ApplyPace pace_;
  Clock::time_point base_ = Clock::now();
  uint64_t rows_ = 0;
  double lag_ms_ = 0;
};

TEST_F(ApplyPaceTest, UnknownUntilTenSecondsOfSamples) {
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kUnknown);
  Run(0, 8, 1000, 0);
  PaceReport r = pace_.Report();
  EXPECT_EQ(r.verdict, PaceVerdict::kUnknown);
  EXPECT_NEAR(r.apply_rate, 1000, 1);  // the rate is shown before the verdict
  Run(9, 10, 1000, 0);
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kKeepingUp);
  EXPECT_EQ(pace_.Report().note, "");
}

TEST_F(ApplyPaceTest, GrowingLagIsFallingBehindWithTheWriteRateEstimated) {
  Run(0, 30, 1000, 0);
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kKeepingUp);
  // The table now receives 2,000 row changes a second; the applier does 1,000:
  // it moves through half a second of binlog a second, the lag grows 0.5 s/s.
  Run(30, 70, 1000, 0.5);
  PaceReport r = pace_.Report();
  EXPECT_EQ(r.verdict, PaceVerdict::kFallingBehind);
  EXPECT_NEAR(r.apply_rate, 1000, 1);
  EXPECT_NEAR(r.lag_growth, 0.5, 0.02);
  ASSERT_TRUE(r.write_rate.has_value());
  EXPECT_NEAR(*r.write_rate, 2000, 50);
  EXPECT_NE(r.note.find("falling behind"), std::string::npos) << r.note;
  EXPECT_NE(r.note.find("about 2000/s"), std::string::npos) << r.note;
  EXPECT_NE(r.note.find("cannot be sealed"), std::string::npos) << r.note;
  EXPECT_STREQ(PaceVerdictName(r.verdict), "no");
}

TEST_F(ApplyPaceTest, AShortStallIsNotAPace) {
  Run(0, 30, 1000, 0);
  Run(30, 36, 0, 1.0);  // applying stuck for 6 s: 6 s of lag
  EXPECT_NE(pace_.Report().verdict, PaceVerdict::kFallingBehind);
  Run(36, 40, 3000, -1.5);  // back, catching up
  EXPECT_NE(pace_.Report().verdict, PaceVerdict::kFallingBehind);
}

TEST_F(ApplyPaceTest, AStuckApplierIsFallingBehindWithoutAnEstimate) {
  Run(0, 20, 500, 0);
  Run(20, 45, 0, 1.0);
  // 5 s of applying 500/s are still in the window: the estimate uses them.
  PaceReport partly = pace_.Report();
  EXPECT_EQ(partly.verdict, PaceVerdict::kFallingBehind);
  ASSERT_TRUE(partly.write_rate.has_value());
  EXPECT_NEAR(*partly.write_rate, 500, 25);
  Run(45, 60, 0, 1.0);  // a whole window without a row applied
  PaceReport r = pace_.Report();
  EXPECT_EQ(r.verdict, PaceVerdict::kFallingBehind);
  EXPECT_FALSE(r.write_rate.has_value());  // g ~ 1: the rate reaching the table is not known
  EXPECT_NE(r.note.find("applying 0 row changes/s"), std::string::npos) << r.note;
}

TEST_F(ApplyPaceTest, ShrinkingLagIsCatchingUpWithAnEstimate) {
  lag_ms_ = 20000;
  Run(0, 12, 4000, -1.0);  // 20 s of lag, 1 s less every second
  PaceReport r = pace_.Report();
  EXPECT_EQ(r.verdict, PaceVerdict::kCatchingUp);
  ASSERT_TRUE(r.caught_up_in.has_value());
  EXPECT_NEAR(double(r.caught_up_in->count()), 8, 1);  // 8 s of lag left at 1 s/s
  EXPECT_NE(r.note.find("catching up"), std::string::npos) << r.note;
}

TEST_F(ApplyPaceTest, PausedOrHeldApplyingStartsTheWindowAgain) {
  Run(0, 20, 1000, 0);
  Run(21, 40, 0, 1.0, /*applying=*/false);  // a seal or a pause: the lag grows by design
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kUnknown);
  Run(41, 52, 1000, 0);
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kKeepingUp);
}

TEST_F(ApplyPaceTest, CloserSamplesAreIgnoredAndANewApplierStartsAgain) {
  pace_.Sample(base_, 100, milliseconds(0), true);
  pace_.Sample(base_ + milliseconds(200), 5000, milliseconds(0), true);  // within a second: ignored
  pace_.Sample(base_ + milliseconds(1000), 1100, milliseconds(0), true);
  EXPECT_NEAR(pace_.Report().apply_rate, 1000, 1);
  pace_.Sample(base_ + milliseconds(2000), 10, milliseconds(0), true);  // the count went back: a new applier
  EXPECT_EQ(pace_.Report().apply_rate, 0);
}

// CopyPace: rows copied against rows added past the copy, fed a second apart.
class CopyPaceTest : public ::testing::Test {
 protected:
  using Clock = CopyPace::Clock;
  void Run(int from, int to, double copy_per_s, double growth_per_s, bool copying = true) {
    for (int s = from; s <= to; ++s) {
      if (s > from) {
        copied_ += uint64_t(copy_per_s);
        growth_ += int64_t(growth_per_s);
      }
      pace_.Sample(base_ + std::chrono::seconds(s), copied_, growth_, copying);
    }
  }
  CopyReport Report(uint64_t at_start) const { return pace_.Report(at_start, copied_, growth_); }
  CopyPace pace_;
  Clock::time_point base_ = Clock::now();
  uint64_t copied_ = 0;
  int64_t growth_ = 0;
};

TEST_F(CopyPaceTest, EtaCountsTheRowsAddedPastTheCopy) {
  Run(0, 20, 10000, 2000);  // copies 10,000 rows/s while 2,000/s are appended
  CopyReport r = Report(1000000);
  EXPECT_TRUE(r.known);
  EXPECT_TRUE(r.finishing);
  EXPECT_EQ(r.remaining, 1000000u - 200000u + 40000u);
  ASSERT_TRUE(r.eta.has_value());
  EXPECT_NEAR(double(r.eta->count()), 840000.0 / 8000.0, 1);  // the net rate, not the copy's
  EXPECT_EQ(r.note, "");
}

TEST_F(CopyPaceTest, GrowthAsFastAsTheCopyDoesNotFinish) {
  Run(0, 5, 3000, 3500);
  EXPECT_FALSE(Report(100000).known);  // under ten seconds: no verdict
  Run(5, 15, 3000, 3500);
  CopyReport r = Report(100000);
  EXPECT_TRUE(r.known);
  EXPECT_FALSE(r.finishing);
  EXPECT_FALSE(r.eta.has_value());
  EXPECT_NE(r.note.find("does not finish at this write rate: it copies 3000 rows/s while the application adds "
                        "3500 rows/s"),
            std::string::npos)
      << r.note;
}

TEST_F(CopyPaceTest, AHeldCopyWithoutWritesIsNotSaidToNotFinish) {
  Run(0, 15, 0, 0);  // throttled, but nothing is added: it finishes once the throttle lets it
  CopyReport r = Report(5000);
  EXPECT_TRUE(r.known);
  EXPECT_TRUE(r.finishing);
  EXPECT_EQ(r.remaining, 5000u);
}

TEST_F(CopyPaceTest, DeletesPastTheCopyShortenIt) {
  Run(0, 12, 1000, -500);
  CopyReport r = Report(50000);
  EXPECT_EQ(r.remaining, 50000u - 12000u - 6000u);
  ASSERT_TRUE(r.eta.has_value());
  EXPECT_NEAR(double(r.eta->count()), 32000.0 / 1500.0, 1);
}

TEST_F(CopyPaceTest, AnOperatorPauseStartsTheWindowAgain) {
  Run(0, 15, 0, 1000);
  EXPECT_FALSE(Report(10000).finishing);
  Run(16, 20, 0, 1000, /*copying=*/false);
  EXPECT_FALSE(Report(10000).known);
}

}  // namespace
}  // namespace sealgate::migration
