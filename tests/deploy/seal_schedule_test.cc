// Seal times and the seal window: parsing, window arithmetic, the scheduler.
#include "deploy/seal_schedule.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "sql/errors.h"

namespace sealgate::deploy {
namespace {

time_t At(const std::string& text) {
  auto t = ParseUtcTimestamp(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : 0;
}

TEST(UtcTimestamp, AcceptedForms) {
  EXPECT_EQ(At("2024-05-01 02:00:00"), 1714528800);
  EXPECT_EQ(At("2024-05-01 02:00"), 1714528800);
  EXPECT_EQ(At("2024-05-01T02:00:00Z"), 1714528800);
  EXPECT_EQ(At("2024-05-01 02:00:00 UTC"), 1714528800);
  EXPECT_EQ(At("2024-05-01 02:00:00+00:00"), 1714528800);
  EXPECT_EQ(At("2024-05-01 02:00:00.750"), 1714528800);
  EXPECT_EQ(At("2024-05-01"), 1714521600);
  EXPECT_EQ(At("2024-02-29 23:59:59"), 1709251199);
}

TEST(UtcTimestamp, RefusedFormsSayWhatToWrite) {
  for (const char* bad : {"", "tomorrow", "2024-05-01 02:00:00+02:00", "2024-13-01", "2023-02-29",
                          "2024-05-01 24:00", "2024-05-01 02:60", "05/01/2024"}) {
    auto t = ParseUtcTimestamp(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().mysql_errno(), error::kDeploySyntax);
    EXPECT_NE(t.status().message().find("YYYY-MM-DD HH:MM"), std::string::npos);
  }
}

TEST(UtcTimestamp, FormatsBack) { EXPECT_EQ(FormatUtc(1714528800), "2024-05-01 02:00:00"); }

TEST(SealWindow, ParsesAndRenders) {
  auto w = SealWindow::Parse("02:00-04:00");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->ToString(), "02:00-04:00 UTC");
  EXPECT_EQ(SealWindow::Parse(" 2:30 - 4:15 UTC ")->ToString(), "02:30-04:15 UTC");
  EXPECT_EQ(SealWindow::Parse("22:00-24:00")->ToString(), "22:00-00:00 UTC");
  for (const char* bad : {"", "02:00", "02:00-02:00", "25:00-26:00", "02:61-03:00", "2-4", "24:30-01:00"}) {
    EXPECT_FALSE(SealWindow::Parse(bad).ok()) << bad;
  }
}

TEST(SealWindow, ContainsStartButNotEnd) {
  auto w = *SealWindow::Parse("02:00-04:00");
  EXPECT_FALSE(w.Contains(At("2024-05-01 01:59:59")));
  EXPECT_TRUE(w.Contains(At("2024-05-01 02:00:00")));
  EXPECT_TRUE(w.Contains(At("2024-05-01 03:59:59")));
  EXPECT_FALSE(w.Contains(At("2024-05-01 04:00:00")));
}

TEST(SealWindow, WrapsPastMidnight) {
  auto w = *SealWindow::Parse("22:30-01:00");
  EXPECT_TRUE(w.Contains(At("2024-05-01 23:00")));
  EXPECT_TRUE(w.Contains(At("2024-05-02 00:59:59")));
  EXPECT_FALSE(w.Contains(At("2024-05-02 01:00")));
  EXPECT_FALSE(w.Contains(At("2024-05-01 22:29:59")));
  EXPECT_EQ(w.NextOpen(At("2024-05-01 12:00")), At("2024-05-01 22:30"));
}

TEST(SealWindow, NextOpenIsTodayTomorrowOrNow) {
  auto w = *SealWindow::Parse("02:00-04:00");
  EXPECT_EQ(w.NextOpen(At("2024-05-01 01:00")), At("2024-05-01 02:00"));
  EXPECT_EQ(w.NextOpen(At("2024-05-01 03:00")), At("2024-05-01 03:00"));
  EXPECT_EQ(w.NextOpen(At("2024-05-01 04:00")), At("2024-05-02 02:00"));
  EXPECT_EQ(w.NextOpen(At("2024-12-31 23:00")), At("2025-01-01 02:00"));
}

TEST(SealScheduler, CallsOnceWhenTheTimeHasCome) {
  std::atomic<int> calls{0};
  std::string seen;
  {
    SealScheduler scheduler([&](const std::string& name) {
      seen = name;
      ++calls;
    });
    time_t now = time(nullptr);
    scheduler.Schedule("later", now + 3600);
    scheduler.Schedule("soon", now + 1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (calls == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GE(time(nullptr), now + 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, "soon");
}

TEST(SealScheduler, CancelAndRescheduleReplaceTheTime) {
  std::atomic<int> calls{0};
  std::atomic<bool> release{false};
  {
    SealScheduler scheduler([&](const std::string&) {
      ++calls;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
    time_t now = time(nullptr);
    scheduler.Schedule("a", now + 1);
    scheduler.Cancel("a");
    scheduler.Schedule("b", now + 3600);
    scheduler.Schedule("b", now - 1);  // rescheduled into the past: due now
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (scheduler.running() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(scheduler.running(), 1);  // still inside the call
    release = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(scheduler.running(), 0);
  }
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace sealgate::deploy
