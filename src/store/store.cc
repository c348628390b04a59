#include "store/store.h"

#include <algorithm>

namespace heartbeat {

std::size_t ClaimRoom::For(const std::string& channel) const {
  if (std::find(skip.begin(), skip.end(), channel) != skip.end()) return 0;
  auto taken = in_flight.find(channel);
  const std::size_t busy = taken == in_flight.end() ? 0 : taken->second;
  return busy >= per_channel ? 0 : per_channel - busy;
}

bool ClaimBudget::Take(const std::string& channel) {
  std::size_t& taken = taken_[channel];
  if (taken >= room_.For(channel)) return false;
  ++taken;
  return true;
}

namespace {

// The monitor as written, for signals that always write one.
Callback<Store::Mutated> AnswerAfter(Callback<Monitor> done) {
  return [done = std::move(done)](Result<Store::Mutated> r) {
    if (!r.ok()) return done(r.error());
    if (!r->after) return done(Internal("the write left no monitor"));
    done(std::move(*r->after));
  };
}

// Whether there was a live monitor to change.
Callback<Store::Mutated> AnswerFound(UnixMillis now, Callback<bool> done) {
  return [now, done = std::move(done)](Result<Store::Mutated> r) {
    if (!r.ok()) return done(r.error());
    done(IsLive(r->before, now));
  };
}

// The write of a rule that answers nullopt when there is no live monitor: nothing, also
// when it leaves the monitor as it is (unpausing one that is not paused, say).
Result<Mutation> PutIfChanged(const std::optional<Monitor>& current, std::optional<Monitor> next) {
  if (!next || (current && *next == *current)) return Mutation::Keep();
  return Mutation::Put(std::move(*next));
}

}  // namespace

void Store::Receive(std::string slug, SignalCall call, UnixMillis now, Callback<Monitor> done) {
  if (call.signal.kind == SignalKind::kSuccess && call.signal.settings.at_most_interval()) {
    PlainPing(std::move(slug), std::move(call), now, std::move(done));
    return;
  }
  MutateSignal(std::move(slug), std::move(call), now, std::move(done));
}

void Store::PlainPing(std::string slug, SignalCall call, UnixMillis now, Callback<Monitor> done) {
  MutateSignal(std::move(slug), std::move(call), now, std::move(done));
}

Result<Mutation> Store::SignalWriteOf(const std::optional<Monitor>& current, std::string_view slug,
                                      const SignalCall& call, bool keep_history, UnixMillis now) {
  if (Status s = CheckTarget(current, call.signal, now); !s.ok()) return s.error();
  return SignalMutation(current, slug, call.signal, call.source, call.body, keep_history, now);
}

void Store::MutateSignal(std::string slug, SignalCall call, UnixMillis now,
                         Callback<Monitor> done) {
  std::string key = slug;
  Mutate(
      std::move(key),
      [slug = std::move(slug), call = std::move(call), keep = PingsKept() > 0,
       now](const std::optional<Monitor>& current) {
        return SignalWriteOf(current, slug, call, keep, now);
      },
      AnswerAfter(std::move(done)));
}

void Store::PingWith(std::string slug, MonitorSettings settings, UnixMillis now,
                     Callback<Monitor> done) {
  Receive(std::move(slug),
          SignalCall{.signal = {.kind = SignalKind::kSuccess, .settings = std::move(settings)}},
          now, std::move(done));
}

void Store::Ping(std::string slug, std::optional<std::int64_t> interval_secs, UnixMillis now,
                 Callback<Monitor> done) {
  PingWith(std::move(slug), MonitorSettings{.interval_secs = interval_secs}, now, std::move(done));
}

void Store::Fail(std::string slug, UnixMillis now, Callback<Monitor> done) {
  Receive(std::move(slug), SignalCall{.signal = {.kind = SignalKind::kFail}}, now, std::move(done));
}

void Store::Configure(std::string slug, MonitorSettings settings, UnixMillis now,
                      Callback<Mutated> done) {
  std::string key = slug;
  Mutate(
      std::move(key),
      [slug = std::move(slug), settings = std::move(settings),
       now](const std::optional<Monitor>& current) {
        return Result<Mutation>(
            SignalWrite(current, Configured(current, slug, settings, now), now));
      },
      std::move(done));
}

void Store::EnsureDefaultProject(UnixMillis now, Callback<void> done) {
  Result<std::string> ping_key = GeneratePingKey();
  if (!ping_key.ok()) return done(ping_key.error());
  AddProject(ProjectRecord{.name = std::string(kDefaultProject),
                           .ping_key = std::move(*ping_key),
                           .created_at = now},
             [done = std::move(done)](Result<void> r) {
               if (!r.ok() && r.error().code != ErrorCode::kConflict) return done(r.error());
               done(Ok{});
             });
}

void Store::Pause(std::string slug, UnixMillis now, Callback<bool> done) {
  Mutate(
      std::move(slug),
      [now](const std::optional<Monitor>& current) {
        return PutIfChanged(current, Paused(current, now));
      },
      AnswerFound(now, std::move(done)));
}

void Store::Unpause(std::string slug, UnixMillis now, Callback<bool> done) {
  Mutate(
      std::move(slug),
      [now](const std::optional<Monitor>& current) {
        return PutIfChanged(current, Unpaused(current, now));
      },
      AnswerFound(now, std::move(done)));
}

void Store::Snooze(std::string slug, UnixMillis until, UnixMillis now, Callback<bool> done) {
  Mutate(
      std::move(slug),
      [until, now](const std::optional<Monitor>& current) {
        return PutIfChanged(current, Snoozed(current, until, now));
      },
      AnswerFound(now, std::move(done)));
}

void Store::Unsnooze(std::string slug, UnixMillis now, Callback<bool> done) {
  Mutate(
      std::move(slug),
      [now](const std::optional<Monitor>& current) {
        return PutIfChanged(current, Unsnoozed(current, now));
      },
      AnswerFound(now, std::move(done)));
}

void Store::Acknowledge(std::string slug, UnixMillis now, Callback<bool> done) {
  Mutate(
      std::move(slug),
      [now](const std::optional<Monitor>& current) {
        return PutIfChanged(current, Acknowledged(current, now));
      },
      AnswerFound(now, std::move(done)));
}

void Store::ApplyCheck(const Monitor& seen, const CheckStep& step, UnixMillis now,
                       Callback<void> done) {
  Mutate(
      seen.slug,
      [seen, step, now](const std::optional<Monitor>& current) {
        return heartbeat::ApplyCheck(current, seen, step, now);
      },
      [done = std::move(done)](Result<Mutated> r) {
        if (!r.ok()) return done(r.error());
        done(Ok{});
      });
}

}  // namespace heartbeat
