// When seals happen: a deploy's scheduled time (COMMIT DEPLOY 'name' AT
// 'timestamp') and the configured daily seal window. All times are UTC.
#pragma once

#include <condition_variable>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace sealgate::deploy {

// "YYYY-MM-DD HH:MM[:SS[.fff]]", a 'T' allowed instead of the space, with an
// optional trailing "Z", " UTC" or "+00:00"; the date alone means 00:00.
// Always UTC: other offsets are refused rather than guessed.
StatusOr<time_t> ParseUtcTimestamp(const std::string& text);
// "YYYY-MM-DD HH:MM:SS"
std::string FormatUtc(time_t t);

// A daily range of UTC time in which seals may start: "02:00-04:00"; a range
// that wraps past midnight ("22:30-01:00") is allowed. Start inclusive, end
// exclusive.
class SealWindow {
 public:
  static StatusOr<SealWindow> Parse(const std::string& text);
  bool Contains(time_t t) const;
  // The first second >= t inside the window.
  time_t NextOpen(time_t t) const;
  std::string ToString() const;  // "02:00-04:00 UTC"

 private:
  SealWindow(int start, int end) : start_(start), end_(end) {}
  int start_ = 0;  // seconds after 00:00 UTC
  int end_ = 0;
};

// Calls `due(name)` once a deploy's time has come, each call on a thread of
// its own (a seal may wait a long time). Schedule() replaces a name's earlier
// time. The destructor stops the timer and joins the calls, so they must
// have returned (or the process exits without destroying it).
class SealScheduler {
 public:
  explicit SealScheduler(std::function<void(const std::string&)> due);
  ~SealScheduler();
  SealScheduler(const SealScheduler&) = delete;
  SealScheduler& operator=(const SealScheduler&) = delete;

  void Schedule(const std::string& name, time_t at);
  void Cancel(const std::string& name);
  // Calls of `due` that have not returned yet.
  int running() const;

 private:
  void Run();

  std::function<void(const std::string&)> due_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, time_t> pending_;  // guarded by mu_
  std::vector<std::thread> calls_;         // guarded by mu_
  int running_ = 0;                        // guarded by mu_
  bool stop_ = false;                      // guarded by mu_
  std::thread timer_;
};

}  // namespace sealgate::deploy
