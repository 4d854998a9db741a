#pragma once

/// Injected wall-clock time (STYLE.md principle 2). Pure code takes a
/// `const clock&`; tests pass a `manual_clock` and advance it by hand.

#include <cstdint>

namespace pact {

class clock {
public:
  virtual ~clock() = default;
  /// Milliseconds since the Unix epoch.
  virtual int64_t now_unix_ms() const = 0;
};

/// The real time of day.
class system_clock final : public clock {
public:
  int64_t now_unix_ms() const override;
};

/// A clock that moves only when told to.
class manual_clock final : public clock {
public:
  explicit manual_clock(int64_t start_unix_ms = 0) : now_(start_unix_ms) {
  }
  int64_t now_unix_ms() const override {
    return now_;
  }
  void advance_ms(int64_t ms) {
    now_ += ms;
  }
  void set_ms(int64_t ms) {
    now_ = ms;
  }

private:
  int64_t now_;
};

} // namespace pact
