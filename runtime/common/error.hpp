#pragma once

/// Operating errors as values (STYLE.md principle 7): an unreachable peer, a
/// malformed file or a bad flag is an `error` carrying the exit code the
/// operator will see and a message they can act on. Programmer errors assert.

#include <string>
#include <utility>
#include <variant>

#include "runtime/common/assert.hpp"
#include "runtime/common/exit_code.hpp"

namespace pact {

struct error {
  exit_code code = exit_code::general_error;
  std::string message;
  /// A request that changes another system's state may have been carried
  /// out although no answer came (a deadline, a connection lost after
  /// sending): its outcome is unknown rather than failed
  /// (docs/delegation.md).
  bool outcome_unknown = false;
};

/// Builds an error; `code` defaults to the general error class.
inline error make_error(std::string message,
                        exit_code code = exit_code::general_error) {
  return error{code, std::move(message)};
}

/// Either a value or an error. A minimal stand-in for C++23 std::expected.
template <class T>
class expected {
public:
  expected(T value) : data_(std::move(value)) {
  }
  expected(error err) : data_(std::move(err)) {
  }

  bool has_value() const noexcept {
    return data_.index() == 0;
  }
  explicit operator bool() const noexcept {
    return has_value();
  }

  /// Precondition: has_value().
  T& value() & {
    PACT_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(data_);
  }
  const T& value() const& {
    PACT_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(data_);
  }
  T&& value() && {
    PACT_ASSERT(has_value(), "value() of an error result");
    return std::get<0>(std::move(data_));
  }
  T* operator->() {
    return &value();
  }
  const T* operator->() const {
    return &value();
  }
  T& operator*() & {
    return value();
  }
  const T& operator*() const& {
    return value();
  }

  /// Precondition: !has_value().
  const error& err() const {
    PACT_ASSERT(!has_value(), "err() of a value result");
    return std::get<1>(data_);
  }

private:
  std::variant<T, error> data_;
};

/// An outcome with no value: empty on success.
class status {
public:
  status() = default;
  status(error err) : err_(std::move(err)), ok_(false) {
  }

  bool ok() const noexcept {
    return ok_;
  }
  explicit operator bool() const noexcept {
    return ok_;
  }
  /// Precondition: !ok().
  const error& err() const {
    PACT_ASSERT(!ok_, "err() of a success status");
    return err_;
  }

private:
  error err_;
  bool ok_ = true;
};

} // namespace pact
