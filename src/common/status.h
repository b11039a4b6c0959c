// Status and StatusOr<T>: errors as values, never exceptions across modules.
//
// A Status is either OK or carries a code and a human-readable message. Errors
// that will reach a MySQL client may also carry a MySQL error number and
// SQLSTATE (see WithMysqlError), so the proxy can render them as ERR packets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace sealgate {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the input is malformed or not acceptable
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,  // the system is not in a state where this can be done
  kPermissionDenied,
  kResourceExhausted,
  kOutOfRange,
  kUnavailable,         // transient: retry may succeed (connection lost, ...)
  kDeadlineExceeded,
  kAborted,
  kCorruption,          // bytes that cannot be what they claim to be
  kUnimplemented,
  kInternal,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // MySQL error number and SQLSTATE for errors shown to clients; 0 / "" if unset.
  uint16_t mysql_errno() const { return mysql_errno_; }
  const std::string& sqlstate() const { return sqlstate_; }
  Status&& WithMysqlError(uint16_t err, std::string sqlstate) && {
    mysql_errno_ = err;
    sqlstate_ = std::move(sqlstate);
    return std::move(*this);
  }

  // Prefixes the message with context ("reading table map: ...").
  Status Annotate(const std::string& context) const;

  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  uint16_t mysql_errno_ = 0;
  std::string sqlstate_;
};

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Internal("StatusOr constructed from OK status without value");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace sealgate

#define SEALGATE_RETURN_IF_ERROR(expr)            \
  do {                                            \
    ::sealgate::Status _sg_status = (expr);       \
    if (!_sg_status.ok()) return _sg_status;      \
  } while (0)
