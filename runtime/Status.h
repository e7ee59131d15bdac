//===- Status.h - Error values of the runtime -------------------*- C++ -*-===//
//
// The runtime reports every failure as a value: a Status (success or a code
// plus a message that names the file, field, tensor or dispatch at fault) or
// a StatusOr<T> that holds either a T or such an error. Nothing in the public
// API throws.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_STATUS_H
#define KILN_RUNTIME_STATUS_H

#include <cassert>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

namespace kiln::rt {

/// Broad classes of failure; the message carries the details.
enum class StatusCode {
  Ok = 0,
  /// The caller passed something wrong (shape, dtype, count, null pointer).
  InvalidArgument,
  /// A file could not be opened, read or written.
  IoError,
  /// An artifact or .npy file is malformed.
  InvalidFormat,
  /// The input is well formed but this host or runtime cannot run it.
  Unsupported,
  /// A kernel reported a failure.
  KernelFailure,
  /// Resource exhaustion or a broken internal invariant.
  Internal,
};

/// Returns a short lowercase name of `code`, e.g. "invalid format".
inline const char *statusCodeName(StatusCode code) {
  switch (code) {
  case StatusCode::Ok:
    return "ok";
  case StatusCode::InvalidArgument:
    return "invalid argument";
  case StatusCode::IoError:
    return "i/o error";
  case StatusCode::InvalidFormat:
    return "invalid format";
  case StatusCode::Unsupported:
    return "unsupported";
  case StatusCode::KernelFailure:
    return "kernel failure";
  case StatusCode::Internal:
    return "internal error";
  }
  return "unknown";
}

/// Success, or an error code with a message.
class [[nodiscard]] Status {
public:
  /// Constructs a success value.
  Status() = default;

  /// Constructs an error; `code` must not be StatusCode::Ok.
  Status(StatusCode code, std::string message)
      : code(code), msg(std::move(message)) {
    assert(code != StatusCode::Ok && "an error needs an error code");
  }

  /// Whether this is a success value.
  bool ok() const { return code == StatusCode::Ok; }
  /// The error class; StatusCode::Ok on success.
  StatusCode getCode() const { return code; }
  /// The message of an error; empty on success.
  const std::string &message() const { return msg; }

  /// Returns a copy whose message is `prefix + ": " + message()`.
  Status withContext(const std::string &prefix) const {
    if (ok()) {
      return *this;
    }
    return Status(code, prefix + ": " + msg);
  }

private:
  StatusCode code = StatusCode::Ok;
  std::string msg;
};

/// Builds an error whose message is the streamed concatenation of `parts`.
template <typename... Parts>
Status makeError(StatusCode code, const Parts &...parts) {
  std::ostringstream os;
  (os << ... << parts);
  return Status(code, os.str());
}

/// Either a value of type T or an error Status.
template <typename T> class [[nodiscard]] StatusOr {
public:
  /// Holds `value`.
  StatusOr(T value) : val(std::move(value)) {}
  /// Holds the error `status`, which must not be a success value.
  StatusOr(Status status) : st(std::move(status)) {
    assert(!st.ok() && "StatusOr needs a value or an error");
    if (st.ok()) {
      st = Status(StatusCode::Internal, "StatusOr built from a success");
    }
  }

  /// Whether a value is held.
  bool ok() const { return val.has_value(); }
  /// The error; a success value when ok().
  const Status &status() const { return st; }

  /// The held value; only valid when ok().
  T &value() & { return *val; }
  const T &value() const & { return *val; }
  T &&value() && { return std::move(*val); }
  T &operator*() & { return *val; }
  const T &operator*() const & { return *val; }
  T *operator->() { return &*val; }
  const T *operator->() const { return &*val; }

private:
  std::optional<T> val;
  Status st;
};

} // namespace kiln::rt

/// Returns the Status of `expr` from the enclosing function if it is an error.
#define KILN_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    ::kiln::rt::Status kilnStatus_ = (expr);                                   \
    if (!kilnStatus_.ok()) {                                                   \
      return kilnStatus_;                                                      \
    }                                                                          \
  } while (false)

#endif // KILN_RUNTIME_STATUS_H
