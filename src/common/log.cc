#include "common/log.h"

#include <sys/time.h>

#include <ctime>

namespace sealgate {

bool ParseLogLevel(std::string_view text, LogLevel* out) {
  if (text == "debug") *out = LogLevel::kDebug;
  else if (text == "info") *out = LogLevel::kInfo;
  else if (text == "warn" || text == "warning") *out = LogLevel::kWarn;
  else if (text == "error") *out = LogLevel::kError;
  else return false;
  return true;
}

void Logger::Log(LogLevel level, std::string_view component, std::string_view message) {
  static const char* kNames[] = {"debug", "info", "warn", "error"};
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm parts;
  gmtime_r(&tv.tv_sec, &parts);
  char stamp[40];
  snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", parts.tm_year + 1900, parts.tm_mon + 1,
           parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<long>(tv.tv_usec / 1000));
  std::lock_guard<std::mutex> lock(mu_);
  fprintf(sink_, "%s %s %.*s: %.*s\n", stamp, kNames[static_cast<int>(level)], static_cast<int>(component.size()),
          component.data(), static_cast<int>(message.size()), message.data());
  fflush(sink_);
}

}  // namespace sealgate
