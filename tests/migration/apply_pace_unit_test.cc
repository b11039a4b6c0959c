// ApplyPace: the applier's pace against the table's writes, from samples fed
// at chosen instants.
#include <gtest/gtest.h>

#include "migration/apply_pace.h"

namespace sealgate::migration {
namespace {

using std::chrono::milliseconds;

class Pace : public ::testing::Test {
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

TEST_F(Pace, UnknownUntilTenSecondsOfSamples) {
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kUnknown);
  Run(0, 8, 1000, 0);
  PaceReport r = pace_.Report();
  EXPECT_EQ(r.verdict, PaceVerdict::kUnknown);
  EXPECT_NEAR(r.apply_rate, 1000, 1);  // the rate is shown before the verdict
  Run(9, 10, 1000, 0);
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kKeepingUp);
  EXPECT_EQ(pace_.Report().note, "");
}

TEST_F(Pace, GrowingLagIsFallingBehindWithTheWriteRateEstimated) {
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

TEST_F(Pace, AShortStallIsNotAPace) {
  Run(0, 30, 1000, 0);
  Run(30, 36, 0, 1.0);  // applying stuck for 6 s: 6 s of lag
  EXPECT_NE(pace_.Report().verdict, PaceVerdict::kFallingBehind);
  Run(36, 40, 3000, -1.5);  // back, catching up
  EXPECT_NE(pace_.Report().verdict, PaceVerdict::kFallingBehind);
}

TEST_F(Pace, AStuckApplierIsFallingBehindWithoutAnEstimate) {
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

TEST_F(Pace, ShrinkingLagIsCatchingUpWithAnEstimate) {
  lag_ms_ = 20000;
  Run(0, 12, 4000, -1.0);  // 20 s of lag, 1 s less every second
  PaceReport r = pace_.Report();
  EXPECT_EQ(r.verdict, PaceVerdict::kCatchingUp);
  ASSERT_TRUE(r.caught_up_in.has_value());
  EXPECT_NEAR(double(r.caught_up_in->count()), 8, 1);  // 8 s of lag left at 1 s/s
  EXPECT_NE(r.note.find("catching up"), std::string::npos) << r.note;
}

TEST_F(Pace, PausedOrHeldApplyingStartsTheWindowAgain) {
  Run(0, 20, 1000, 0);
  Run(21, 40, 0, 1.0, /*applying=*/false);  // a seal or a pause: the lag grows by design
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kUnknown);
  Run(41, 52, 1000, 0);
  EXPECT_EQ(pace_.Report().verdict, PaceVerdict::kKeepingUp);
}

TEST_F(Pace, CloserSamplesAreIgnoredAndANewApplierStartsAgain) {
  pace_.Sample(base_, 100, milliseconds(0), true);
  pace_.Sample(base_ + milliseconds(200), 5000, milliseconds(0), true);  // within a second: ignored
  pace_.Sample(base_ + milliseconds(1000), 1100, milliseconds(0), true);
  EXPECT_NEAR(pace_.Report().apply_rate, 1000, 1);
  pace_.Sample(base_ + milliseconds(2000), 10, milliseconds(0), true);  // the count went back: a new applier
  EXPECT_EQ(pace_.Report().apply_rate, 0);
}

}  // namespace
}  // namespace sealgate::migration
