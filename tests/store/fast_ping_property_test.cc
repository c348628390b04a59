// The stores' fast pings (SQLite's single upsert, DynamoDB's single UpdateItem) against the
// rule they stand in for: on random sequences of signals and times, a monitor pinged by the
// fast path and one pinged through Store::Mutate with core/lifecycle.h's rules must be in
// exactly the same state after every step, with the same history, on every store (SPEC
// §11, §12). The signals include starts, logs and exit codes with and without run ids, so
// that a fast path that ends (or fails to leave alone) a run, or numbers the history
// differently, shows.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/lifecycle.h"
#include "store/store.h"
#include "support/expect_monitor.h"
#include "support/temp_dir.h"
#include "support/test_stores.h"
#include "support/test_time.h"

namespace heartbeat::testing {
namespace {

constexpr std::int64_t kRepeatMs = kHour;

// The monitor as stored, expired or not (Get would hide an expired one).
std::optional<Monitor> Raw(Store& store, const std::string& slug) {
  auto r = Await<Store::Mutated>([&](Callback<Store::Mutated> cb) {
    store.Mutate(
        slug, [](const std::optional<Monitor>&) { return Result<Mutation>(Mutation::Keep()); },
        std::move(cb));
  });
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r->before;
}

// A signal as a route sends it: Store::Receive, which takes the fast path for a plain success.
Monitor FastSignal(Store& store, const std::string& slug, const Store::SignalCall& call,
                   UnixMillis now) {
  auto r =
      Await<Monitor>([&](Callback<Monitor> cb) { store.Receive(slug, call, now, std::move(cb)); });
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return *r;
}

// The same signal through Store::Mutate and core's SignalMutation, history entry included.
Monitor CoreSignal(Store& store, const std::string& slug, const Store::SignalCall& call,
                   UnixMillis now) {
  auto r = Await<Store::Mutated>([&](Callback<Store::Mutated> cb) {
    store.Mutate(
        slug,
        [&](const std::optional<Monitor>& current) {
          return Result<Mutation>(SignalMutation(current, slug, call.signal, call.source, call.body,
                                                 store.PingsKept() > 0, now));
        },
        std::move(cb));
  });
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return *r->after;
}

// A random signal: mostly plain successes (the fast path), with or without an interval, an
// exit code 0, a run id and a body; else a start, a log or a failure with an exit code.
Store::SignalCall RandomSignal(std::mt19937_64& rng) {
  static const char* kRids[] = {"0f0e0d0c-0b0a-4009-8807-060504030201",
                                "11111111-2222-4333-8444-555555555555"};
  Store::SignalCall call;
  call.source = {"POST", "10.0.0." + std::to_string(rng() % 4),
                 "test/" + std::to_string(rng() % 3)};
  if (rng() % 3 == 0) call.signal.rid = kRids[rng() % 2];
  if (rng() % 2 == 0) call.body = "output " + std::to_string(rng() % 1000);
  switch (rng() % 6) {
    case 0:
      call.signal.kind = SignalKind::kStart;
      break;
    case 1:
      call.signal.kind = SignalKind::kLog;
      break;
    case 2:
      call.signal.kind = SignalKind::kFail;
      call.signal.exit_code = 1 + static_cast<int>(rng() % 255);
      call.signal.body_tail = BodyTail(call.body);
      break;
    default:
      call.signal.kind = SignalKind::kSuccess;
      if (rng() % 3 == 0)
        call.signal.settings.interval_secs = 30 + static_cast<std::int64_t>(rng() % 7200);
      if (rng() % 2 == 0) call.signal.exit_code = 0;
  }
  return call;
}

// The monitor's history as stored (every entry kept, bodies included).
std::vector<PingRecord> History(Store& store, const std::string& slug, UnixMillis now) {
  auto r = Await<std::optional<std::vector<PingRecord>>>(
      [&](Callback<std::optional<std::vector<PingRecord>>> cb) {
        store.ListPings(slug, 1000, now, std::move(cb));
      });
  if (!r.ok()) throw std::runtime_error(r.error().message);
  std::vector<PingRecord> out = r->value_or(std::vector<PingRecord>{});
  for (PingRecord& p : out) {
    auto body = Await<std::optional<std::string>>([&](Callback<std::optional<std::string>> cb) {
      store.PingBody(slug, p.n, now, std::move(cb));
    });
    if (!body.ok()) throw std::runtime_error(body.error().message);
    p.body = body->value_or("");
  }
  return out;
}

// A ping through Store::Mutate and core's Pinged. With settings (SPEC §12's query
// parameters) on both monitors, it sets the schedule, zone and grace that later fast pings
// must respect.
Monitor CorePing(Store& store, const std::string& slug, const MonitorSettings& settings,
                 UnixMillis now) {
  auto r = Await<Store::Mutated>([&](Callback<Store::Mutated> cb) {
    store.Mutate(
        slug,
        [&](const std::optional<Monitor>& current) {
          return Result<Mutation>(SignalWrite(current, Pinged(current, slug, settings, now), now));
        },
        std::move(cb));
  });
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return *r->after;
}

template <class T>
T Must(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

MonitorSettings RandomSettings(std::mt19937_64& rng) {
  static const char* kSchedules[] = {"*/5 * * * *", "0 3 * * *", "30 2 * * 1-5", "0 0 L * *"};
  static const char* kZones[] = {"UTC", "Europe/Riga", "America/New_York"};
  static const std::int64_t kGraces[] = {0, 60, 900};
  MonitorSettings s;
  if (rng() % 3 == 0) {
    s.interval_secs = 30 + static_cast<std::int64_t>(rng() % 7200);
  } else {
    s.schedule = kSchedules[rng() % 4];
    s.tz = kZones[rng() % 3];
  }
  if (rng() % 2 == 0) s.grace_secs = kGraces[rng() % 3];
  // Healthchecks' checks: a paused one without manual_resume is resumed by core's rule,
  // which the fast path must leave to it.
  if (rng() % 4 == 0) s.manual_resume = rng() % 2 == 0;
  // Alert policies (SPEC §14): a fast ping must keep them, and wait for down_after
  // deadlines before the first alert as core does.
  if (rng() % 2 == 0) s.down_after = 1 + static_cast<std::int64_t>(rng() % 4);
  if (rng() % 4 == 0)
    s.repeat_secs = rng() % 2 == 0 ? 0 : 60 + static_cast<std::int64_t>(rng() % 3600);
  switch (rng() % 5) {
    case 0:
      s.channels = std::vector<std::string>{};
      break;
    case 1:
      s.channels = std::vector<std::string>{"ops", "telegram"};
      break;
    case 2:
      s.all_channels = true;
      break;
    default:
      break;
  }
  return s;
}

// A snooze (until a random time ahead), an unsnooze or an acknowledgement, on both.
void RandomPolicyAction(Store& store, const std::string& fast, const std::string& core,
                        std::mt19937_64& rng, UnixMillis now) {
  const std::uint64_t action = rng() % 3;
  const UnixMillis until = now + static_cast<UnixMillis>(rng() % (2 * kHour));
  for (const std::string* slug : {&fast, &core}) {
    Must(Await<bool>([&](Callback<bool> cb) {
      switch (action) {
        case 0:
          store.Snooze(*slug, until, now, std::move(cb));
          break;
        case 1:
          store.Unsnooze(*slug, now, std::move(cb));
          break;
        default:
          store.Acknowledge(*slug, now, std::move(cb));
      }
    }));
  }
}

// One checker step on `slug`, as the checker makes it (a conflict cannot happen here).
void CheckNow(Store& store, const std::string& slug, UnixMillis now) {
  std::optional<Monitor> m = Raw(store, slug);
  if (!m || !m->check_at || *m->check_at > now) return;
  CheckStep step = Check(*m, now, kRepeatMs, {"telegram"});
  Status s =
      Await<void>([&](Callback<void> cb) { store.ApplyCheck(*m, step, now, std::move(cb)); });
  if (!s.ok()) throw std::runtime_error(s.error().message);
}

void ExpectSameState(const std::optional<Monitor>& fast, const std::optional<Monitor>& core) {
  ASSERT_EQ(fast.has_value(), core.has_value());
  if (!fast) return;
  Monitor a = *fast;
  // The fields that differ by construction: the key, and the random uuid each was given
  // at creation (the contract suite holds uuids to their rules).
  a.slug = core->slug;
  a.uuid = core->uuid;
  ExpectSameMonitor(a, *core);
}

class FastPingProperty : public ::testing::TestWithParam<StoreKind> {};

TEST_P(FastPingProperty, FastPingGivesExactlyTheStateOfTheCoreRule) {
  const bool slow_store = GetParam() == StoreKind::kDynamo;
  const int sequences = slow_store ? 12 : 40;
  const int steps = 24;
  TempDir dir;
  std::unique_ptr<Store> store = OpenTestStore(GetParam(), dir.path());
  store->KeepPings(5);  // the sequences are longer: each store prunes its history its own way
  std::mt19937_64 rng(20261207);
  int fast_pings = 0;
  for (int seq = 0; seq < sequences; ++seq) {
    const std::string fast = "fast-" + std::to_string(seq);
    const std::string core = "core-" + std::to_string(seq);
    UnixMillis now = kT0 + static_cast<UnixMillis>(rng() % kDay);
    for (int step = 0; step < steps; ++step) {
      SCOPED_TRACE("sequence " + std::to_string(seq) + ", step " + std::to_string(step));
      // Time moves by a few milliseconds to a few hours; now and then past the 90-day
      // expiry, so that a ping must start an expired monitor afresh.
      switch (rng() % 8) {
        case 0:
          now += kExpiryMillis + static_cast<UnixMillis>(rng() % kDay);
          break;
        case 1:
        case 2:
          now += static_cast<UnixMillis>(rng() % (3 * kHour));
          break;
        default:
          now += static_cast<UnixMillis>(rng() % (10 * kMinute));
      }
      const std::uint64_t signal = rng() % 11;
      if (signal < 4) {
        const Store::SignalCall call = RandomSignal(rng);
        FastSignal(*store, fast, call, now);
        CoreSignal(*store, core, call, now);
        if (call.signal.kind == SignalKind::kSuccess) ++fast_pings;
      } else if (signal == 4) {
        Must(Await<Monitor>([&](Callback<Monitor> cb) { store->Fail(fast, now, std::move(cb)); }));
        Must(Await<Monitor>([&](Callback<Monitor> cb) { store->Fail(core, now, std::move(cb)); }));
      } else if (signal == 5) {
        Must(Await<bool>([&](Callback<bool> cb) { store->Pause(fast, now, std::move(cb)); }));
        Must(Await<bool>([&](Callback<bool> cb) { store->Pause(core, now, std::move(cb)); }));
      } else if (signal == 6) {
        Must(Await<bool>([&](Callback<bool> cb) { store->Unpause(fast, now, std::move(cb)); }));
        Must(Await<bool>([&](Callback<bool> cb) { store->Unpause(core, now, std::move(cb)); }));
      } else if (signal == 7) {
        const MonitorSettings settings = RandomSettings(rng);
        CorePing(*store, fast, settings, now);
        CorePing(*store, core, settings, now);
      } else if (signal == 8) {
        RandomPolicyAction(*store, fast, core, rng, now);
      } else {
        CheckNow(*store, fast, now);
        CheckNow(*store, core, now);
      }
      ExpectSameState(Raw(*store, fast), Raw(*store, core));
      EXPECT_EQ(History(*store, fast, now), History(*store, core, now));
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(fast_pings, sequences * steps / 8);
}

INSTANTIATE_TEST_SUITE_P(Stores, FastPingProperty, AllStores(), StoreKindParamName);

}  // namespace
}  // namespace heartbeat::testing
