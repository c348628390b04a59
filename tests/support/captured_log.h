#pragma once
// What spdlog's default logger writes while a CapturedLog lives: the tests that check a log
// line install it, and the previous logger comes back when it goes (an assertion that
// returns early included).
//
//   CapturedLog log;
//   ... code that logs ...
//   const std::string lines = log.Release();  // the previous logger is back

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace heartbeat::testing {

class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)));
  }
  ~CapturedLog() { Restore(); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // Puts the previous logger back and returns every line written meanwhile. Stop the
  // threads that log first.
  std::string Release() {
    Restore();
    return out_.str();
  }

 private:
  void Restore() {
    if (previous_) spdlog::set_default_logger(std::move(previous_));
    previous_ = nullptr;
  }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace heartbeat::testing
