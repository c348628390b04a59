#pragma once
// Where alerts go. Send is blocking and runs on the delivery threads, never on an I/O
// thread; implementations are thread-safe.

#include <chrono>
#include <optional>
#include <string>

#include "core/alert.h"

namespace heartbeat {

struct SendOutcome {
  enum class Kind {
    kSent,      // delivered: never send it again
    kRetry,     // not delivered, try again later (outage, 5xx, 429, timeouts)
    kRejected,  // the receiver refused this message (Telegram's 400): retrying will not help
  };
  Kind kind = Kind::kRetry;
  std::optional<std::chrono::seconds> retry_after;  // the receiver's own wait (429)
  std::string detail;                               // for logs; never contains a secret
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual SendOutcome Send(const Alert& alert) = 0;
};

}  // namespace heartbeat
