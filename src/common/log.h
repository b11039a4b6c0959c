// Logging: one line per event, "ts level component: message key=value ...".
//
// A Logger is an object passed to components that log; there is no global
// logger. Thread-safe: lines from different threads never interleave.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace sealgate {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug" / "info" / "warn" / "error"; returns false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* out);

class Logger {
 public:
  // Writes to `sink` (not owned; stderr by default).
  explicit Logger(LogLevel level = LogLevel::kInfo, FILE* sink = stderr) : level_(level), sink_(sink) {}

  void set_level(LogLevel level) { level_ = level; }
  bool enabled(LogLevel level) const { return level >= level_; }

  void Log(LogLevel level, std::string_view component, std::string_view message);
  void Debug(std::string_view c, std::string_view m) { if (enabled(LogLevel::kDebug)) Log(LogLevel::kDebug, c, m); }
  void Info(std::string_view c, std::string_view m) { if (enabled(LogLevel::kInfo)) Log(LogLevel::kInfo, c, m); }
  void Warn(std::string_view c, std::string_view m) { if (enabled(LogLevel::kWarn)) Log(LogLevel::kWarn, c, m); }
  void Error(std::string_view c, std::string_view m) { if (enabled(LogLevel::kError)) Log(LogLevel::kError, c, m); }

 private:
  LogLevel level_;
  FILE* sink_;
  std::mutex mu_;
};

}  // namespace sealgate
