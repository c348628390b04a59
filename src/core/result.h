#pragma once
// A small result type: a value or an Error that carries a code and a human sentence.
// boost::system::result cannot carry a message, and our errors travel to API clients.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace heartbeat {

enum class ErrorCode {
  kInvalidArgument,  // the caller sent something we refuse (400)
  kNotFound,         // no such monitor / key (404)
  kForbidden,        // the caller may not do this: a read-only key, a full project (403)
  kConflict,         // a conditional write lost (alert state moved under us)
  kUnavailable,      // the store or a remote service does not answer (503)
  kInternal,         // a bug or an unexpected answer
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  // Adds context as an error travels up: "open store: unable to open database".
  Error Wrap(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message};
  }
};

inline Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
inline Error Forbidden(std::string m) { return {ErrorCode::kForbidden, std::move(m)}; }
inline Error Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Ok) {}                                                  // NOLINT: implicit
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace heartbeat
