#include "deploy/seal_schedule.h"

#include <re2/re2.h>

#include <chrono>
#include <cstdlib>

#include "sql/errors.h"

namespace sealgate::deploy {
namespace {

Status BadTime(const std::string& text) {
  return Status::InvalidArgument("'" + text + "' is not a UTC time: write 'YYYY-MM-DD HH:MM[:SS]' (UTC)")
      .WithMysqlError(error::kDeploySyntax, error::kSqlstateSyntax);
}

int DaysInMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

StatusOr<time_t> ParseUtcTimestamp(const std::string& text) {
  static const re2::RE2 kTime(
      R"(\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(?:Z|UTC|\+00:?00)?\s*)");
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string h, mi, se;
  if (!re2::RE2::FullMatch(text, kTime, &year, &month, &day, &h, &mi, &se)) return BadTime(text);
  if (!h.empty()) hour = atoi(h.c_str());
  if (!mi.empty()) minute = atoi(mi.c_str());
  if (!se.empty()) second = atoi(se.c_str());
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return BadTime(text);
  }
  tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return timegm(&parts);
}

std::string FormatUtc(time_t t) {
  tm parts;
  gmtime_r(&t, &parts);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
  return buf;
}

StatusOr<SealWindow> SealWindow::Parse(const std::string& text) {
  static const re2::RE2 kRange(R"(\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*(?:UTC)?\s*)");
  int h1, m1, h2, m2;
  if (!re2::RE2::FullMatch(text, kRange, &h1, &m1, &h2, &m2) || h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59 ||
      (h1 == 24 && m1) || (h2 == 24 && m2)) {
    return Status::InvalidArgument("seal window '" + text + "' is not HH:MM-HH:MM (UTC), e.g. 02:00-04:00");
  }
  int start = (h1 * 60 + m1) * 60 % 86400, end = (h2 * 60 + m2) * 60 % 86400;
  if (start == end) return Status::InvalidArgument("seal window '" + text + "' is empty: start and end are equal");
  return SealWindow(start, end);
}

bool SealWindow::Contains(time_t t) const {
  int s = int(t % 86400);
  if (s < 0) s += 86400;
  return start_ < end_ ? s >= start_ && s < end_ : s >= start_ || s < end_;
}

time_t SealWindow::NextOpen(time_t t) const {
  if (Contains(t)) return t;
  int s = int(t % 86400);
  if (s < 0) s += 86400;
  int wait = start_ - s;
  if (wait < 0) wait += 86400;
  return t + wait;
}

std::string SealWindow::ToString() const {
  char buf[32];
  snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d UTC", start_ / 3600, start_ / 60 % 60, end_ / 3600, end_ / 60 % 60);
  return buf;
}

SealScheduler::SealScheduler(std::function<void(const std::string&)> due) : due_(std::move(due)) {
  timer_ = std::thread([this] { Run(); });
}

SealScheduler::~SealScheduler() {
  std::vector<std::thread> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  timer_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    calls.swap(calls_);
  }
  for (auto& c : calls) c.join();
}

void SealScheduler::Schedule(const std::string& name, time_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_[name] = at;
  cv_.notify_all();
}

void SealScheduler::Cancel(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(name);
  cv_.notify_all();
}

int SealScheduler::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

void SealScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    time_t now = time(nullptr);
    time_t next = now + 60;  // wake at least once a minute: the wall clock may be set meanwhile
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second > now) {
        next = std::min(next, it->second);
        ++it;
        continue;
      }
      std::string name = it->first;
      it = pending_.erase(it);
      ++running_;
      calls_.emplace_back([this, name] {
        due_(name);
        std::lock_guard<std::mutex> done(mu_);
        --running_;
      });
    }
    cv_.wait_until(lock, std::chrono::system_clock::from_time_t(next));
  }
}

}  // namespace sealgate::deploy
