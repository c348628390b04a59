// The DynamoDB client: one state machine per operation (send, classify, back off, send
// again), on the AsyncHttpClient's event thread. The protocol itself is in
// dynamodb_protocol.cc.

#include "aws/dynamodb.h"

#include <algorithm>
#include <atomic>
#include <boost/json/object.hpp>
#include <mutex>
#include <random>

#include "aws/dynamodb_protocol.h"
#include "aws/sigv4.h"

namespace heartbeat::aws {
namespace json = boost::json;

std::string_view ToString(DynamoErrorKind kind) {
  switch (kind) {
    case DynamoErrorKind::kConditionalCheckFailed:
      return "conditional check failed";
    case DynamoErrorKind::kThrottled:
      return "throttled";
    case DynamoErrorKind::kValidation:
      return "validation";
    case DynamoErrorKind::kNotFound:
      return "not found";
    case DynamoErrorKind::kTransport:
      return "transport";
    case DynamoErrorKind::kService:
      return "service";
    case DynamoErrorKind::kTimeout:
      return "timeout";
    case DynamoErrorKind::kOther:
      return "other";
  }
  return "other";
}

namespace {

// One exchange's end: the answer's JSON object, or the error after the last attempt.
struct Answer {
  std::optional<json::object> body;
  DynamoError error;  // when !body
  int attempts = 0;
};

// Replaces every occurrence of `secret` in `text` (a server may echo a header back, and the
// session token travels in one).
void Redact(std::string& text, const std::string& secret) {
  if (secret.size() < 4) return;  // too short to be a credential; would blot out words
  for (std::size_t pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "[redacted]");
    pos += 10;
  }
}

DynamoError Malformed(std::string_view operation, const std::string& what, int attempts) {
  DynamoError e;
  e.kind = DynamoErrorKind::kOther;
  e.message = "DynamoDB " + std::string(operation) + ": malformed answer: " + what;
  e.http_status = 200;
  e.attempts = attempts;
  return e;
}

}  // namespace

// When an operation must have ended; none: no overall bound.
using Deadline = std::optional<std::chrono::steady_clock::time_point>;

struct DynamoClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(AsyncHttpClient& h, DynamoClientOptions o, Clock& c)
      : http(h), options(std::move(o)), clock(c) {
    while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();
    options.max_attempts = std::max(options.max_attempts, 1);
    rng.seed(options.jitter_seed ? *options.jitter_seed : std::random_device{}());
  }

  struct Exchange {
    std::string operation;
    std::string body;
    int max_attempts = 1;
    int attempts = 0;
    Deadline deadline;
    std::function<void(Answer)> done;
  };

  // The deadline of an operation starting now.
  Deadline NewDeadline() const {
    if (options.operation_timeout.count() <= 0) return std::nullopt;
    return clock.Steady() + options.operation_timeout;
  }

  // What is left until `deadline`, rounded up to whole milliseconds; none: no bound.
  std::optional<std::chrono::milliseconds> Left(const Deadline& deadline) const {
    if (!deadline) return std::nullopt;
    return std::chrono::ceil<std::chrono::milliseconds>(*deadline - clock.Steady());
  }

  // The error of an operation whose deadline came before an answer; `last` is the latest
  // attempt's failure, if any.
  DynamoError Timeout(const Exchange& ex, const DynamoError* last) const {
    DynamoError e;
    e.kind = DynamoErrorKind::kTimeout;
    e.message = "DynamoDB " + ex.operation + ": no answer within " +
                std::to_string(options.operation_timeout.count()) + " ms (" +
                std::to_string(ex.attempts) + (ex.attempts == 1 ? " attempt" : " attempts") +
                (last != nullptr && !last->message.empty() ? "; the last: " + last->message : "") +
                ")";
    e.http_status = last != nullptr ? last->http_status : 0;
    e.attempts = ex.attempts;
    return e;
  }

  // Records when DynamoDB last answered, for Unanswered() and SinceLastAnswer().
  std::int64_t SteadyNanos() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock.Steady().time_since_epoch())
        .count();
  }

  // Full jitter: uniform in [0, min(max_delay, base_delay * 2^retry)).
  std::chrono::milliseconds Backoff(int retry) {
    std::int64_t base = std::max<std::int64_t>(options.base_delay.count(), 0);
    std::int64_t cap = std::max<std::int64_t>(options.max_delay.count(), 0);
    std::int64_t window = base;
    for (int i = 0; i < retry && window < cap; ++i) window *= 2;
    window = std::min(window, cap);
    if (window <= 0) return std::chrono::milliseconds(0);
    std::lock_guard lock(rng_mu);
    return std::chrono::milliseconds(
        std::uniform_int_distribution<std::int64_t>(0, window - 1)(rng));
  }

  void Send(std::string operation, std::string body, int max_attempts, Deadline deadline,
            std::function<void(Answer)> done) {
    auto ex = std::make_shared<Exchange>();
    ex->operation = std::move(operation);
    ex->body = std::move(body);
    ex->max_attempts = std::max(max_attempts, 1);
    ex->deadline = deadline;
    ex->done = std::move(done);
    Attempt(std::move(ex));
  }

  void Attempt(std::shared_ptr<Exchange> ex) {
    std::chrono::milliseconds connect_timeout = options.connect_timeout;
    std::chrono::milliseconds total_timeout = options.request_timeout;
    if (std::optional<std::chrono::milliseconds> left = Left(ex->deadline)) {
      if (left->count() <= 0) {
        // Reached through a back-off that the deadline cut short, or a BatchWriteItem
        // round that starts too late: no attempt after the deadline.
        ex->done(Answer{std::nullopt, Timeout(*ex, nullptr), ex->attempts});
        return;
      }
      connect_timeout = std::min(connect_timeout, *left);
      total_timeout = std::min(total_timeout, *left);
    }
    HttpRequest request;
    request.method = "POST";
    request.url = options.endpoint + "/";
    request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                       {"X-Amz-Target", "DynamoDB_20120810." + ex->operation}};
    request.body = ex->body;
    request.connect_timeout = connect_timeout;
    request.total_timeout = total_timeout;
    // Asked for again on every attempt: credentials may have been refreshed since.
    Credentials credentials = options.credentials ? options.credentials() : Credentials{};
    SignRequest(request, credentials, options.region, "dynamodb", clock.Now());
    ++ex->attempts;
    requests_sent.fetch_add(1, std::memory_order_relaxed);
    std::int64_t now_in_flight = ++in_flight;
    // The first request of a busy spell: Unanswered() counts from here, not from an
    // answer long ago.
    if (now_in_flight == 1) progress_at.store(SteadyNanos(), std::memory_order_relaxed);
    std::int64_t seen = max_in_flight.load();
    while (now_in_flight > seen && !max_in_flight.compare_exchange_weak(seen, now_in_flight)) {
    }
    http.Start(std::move(request), [self = shared_from_this(), ex,
                                    credentials = std::move(credentials)](HttpResult result) {
      if (result.transport_ok) {
        // Any HTTP answer, an error too, shows that DynamoDB is answering.
        std::int64_t now = self->SteadyNanos();
        self->progress_at.store(now, std::memory_order_relaxed);
        self->answered_at.store(now, std::memory_order_relaxed);
      }
      --self->in_flight;
      protocol::Outcome outcome = protocol::ClassifyResponse(ex->operation, result);
      if (outcome.body) {
        ex->done(Answer{std::move(outcome.body), {}, ex->attempts});
        return;
      }
      if (outcome.retryable) {
        const bool more = ex->attempts < ex->max_attempts;
        std::optional<std::chrono::milliseconds> left = self->Left(ex->deadline);
        std::chrono::milliseconds backoff =
            more ? self->Backoff(ex->attempts - 1) : std::chrono::milliseconds(0);
        if (left && (left->count() <= 0 || (more && *left <= backoff))) {
          // The deadline has come (the attempt's clipped timeout ran out), or comes before
          // the next attempt could start.
          DynamoError e = self->Timeout(*ex, &outcome.error);
          Redact(e.message, credentials.secret_access_key);
          Redact(e.message, credentials.session_token);
          Redact(e.message, credentials.access_key_id);
          ex->done(Answer{std::nullopt, std::move(e), ex->attempts});
          return;
        }
        if (more) {
          self->http.RunAfter(backoff, [self, ex] { self->Attempt(ex); });
          return;
        }
      }
      DynamoError& e = outcome.error;
      e.attempts = ex->attempts;
      if (ex->attempts > 1) e.message += " after " + std::to_string(ex->attempts) + " attempts";
      Redact(e.message, credentials.secret_access_key);
      Redact(e.message, credentials.session_token);
      Redact(e.message, credentials.access_key_id);
      ex->done(Answer{std::nullopt, std::move(e), ex->attempts});
    });
  }

  // Runs `then` with the answer's body, or reports the error.
  template <class T, class Then>
  void Call(std::string operation, std::string body, DynamoCallback<T> done, Then then,
            Deadline deadline) {
    Send(operation, std::move(body), options.max_attempts, deadline,
         [done = std::move(done), then = std::move(then)](Answer a) {
           if (!a.body) {
             done(std::move(a.error));
             return;
           }
           done(then(*a.body, a.attempts));
         });
  }

  template <class T, class Then>
  void Call(std::string operation, std::string body, DynamoCallback<T> done, Then then) {
    Call(std::move(operation), std::move(body), std::move(done), std::move(then), NewDeadline());
  }

  // One page of a Query or a Scan (by `deadline`); its ScannedCount is added to
  // items_scanned.
  void SendPage(const char* operation, std::string body, Deadline deadline,
                DynamoCallback<Page> done);

  AsyncHttpClient& http;
  DynamoClientOptions options;  // immutable after construction
  Clock& clock;
  std::mutex rng_mu;
  std::mt19937_64 rng;  // guarded by rng_mu
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> max_in_flight{0};
  std::atomic<std::int64_t> requests_sent{0};
  std::atomic<std::int64_t> items_scanned{0};
  // Steady-clock nanoseconds: DynamoDB's latest answer, or the first request of the busy
  // spell when that came later (progress_at); the latest answer alone (answered_at, 0:
  // none yet).
  std::atomic<std::int64_t> progress_at{0};
  std::atomic<std::int64_t> answered_at{0};
};

namespace {

DynamoResult<std::optional<Item>> ItemField(const json::object& body, std::string_view field,
                                            std::string_view operation, int attempts) {
  auto item = protocol::OptionalItemField(body, field);
  if (auto* e = std::get_if<std::string>(&item)) return Malformed(operation, *e, attempts);
  return std::move(std::get<std::optional<Item>>(item));
}

// Query and Scan share the paging.
template <class Request, class OnePage>
void AllPages(Request request, DynamoCallback<std::vector<Item>> done, OnePage one_page) {
  struct State {
    Request request;
    std::vector<Item> items;
    DynamoCallback<std::vector<Item>> done;
    OnePage one_page;
    std::function<void()> next;
  };
  auto st = std::make_shared<State>(
      State{std::move(request), {}, std::move(done), std::move(one_page), nullptr});
  // `next` holds a weak reference to the state: the pending page's callback holds the
  // strong one, so nothing leaks when the client goes away mid-way.
  st->next = [weak = std::weak_ptr<State>(st)] {
    auto s = weak.lock();
    if (!s) return;
    s->one_page(s->request, [s](DynamoResult<Page> r) {
      if (!r.ok()) {
        s->done(r.error());
        return;
      }
      Page& page = r.value();
      for (auto& item : page.items) s->items.push_back(std::move(item));
      if (!page.last_evaluated_key) {
        s->done(std::move(s->items));
        return;
      }
      if (s->request.exclusive_start_key == page.last_evaluated_key) {
        // The same page again: a broken server would keep us here for ever.
        s->done(Malformed("paging", "LastEvaluatedKey repeats the ExclusiveStartKey", 1));
        return;
      }
      s->request.exclusive_start_key = std::move(page.last_evaluated_key);
      s->next();
    });
  };
  st->next();
}

}  // namespace

DynamoClient::DynamoClient(AsyncHttpClient& http, DynamoClientOptions options, Clock& clock)
    : impl_(std::make_shared<Impl>(http, std::move(options), clock)) {}

void DynamoClient::GetItem(GetItemRequest request, DynamoCallback<std::optional<Item>> done) {
  impl_->Call("GetItem", protocol::GetItemBody(request), std::move(done),
              [](const json::object& body, int attempts) {
                return ItemField(body, "Item", "GetItem", attempts);
              });
}

void DynamoClient::PutItem(PutItemRequest request, DynamoCallback<Nothing> done) {
  impl_->Call("PutItem", protocol::PutItemBody(request), std::move(done),
              [](const json::object&, int) { return DynamoResult<Nothing>(Nothing{}); });
}

void DynamoClient::UpdateItem(UpdateItemRequest request, DynamoCallback<std::optional<Item>> done) {
  impl_->Call("UpdateItem", protocol::UpdateItemBody(request), std::move(done),
              [](const json::object& body, int attempts) {
                return ItemField(body, "Attributes", "UpdateItem", attempts);
              });
}

void DynamoClient::DeleteItem(DeleteItemRequest request, DynamoCallback<std::optional<Item>> done) {
  impl_->Call("DeleteItem", protocol::DeleteItemBody(request), std::move(done),
              [](const json::object& body, int attempts) {
                return ItemField(body, "Attributes", "DeleteItem", attempts);
              });
}

namespace {

DynamoResult<Page> PageResult(const json::object& body, std::string_view operation, int attempts) {
  auto page = protocol::PageFromJson(body);
  if (auto* e = std::get_if<std::string>(&page)) return Malformed(operation, *e, attempts);
  return std::move(std::get<Page>(page));
}

}  // namespace

void DynamoClient::Impl::SendPage(const char* operation, std::string body, Deadline deadline,
                                  DynamoCallback<Page> done) {
  Call(
      operation, std::move(body), std::move(done),
      [self = shared_from_this(), operation](const json::object& answer, int attempts) {
        DynamoResult<Page> page = PageResult(answer, operation, attempts);
        if (page.ok()) self->items_scanned.fetch_add(page.value().scanned_count);
        return page;
      },
      deadline);
}

void DynamoClient::Query(QueryRequest request, DynamoCallback<Page> done) {
  impl_->SendPage("Query", protocol::QueryBody(request), impl_->NewDeadline(), std::move(done));
}

void DynamoClient::Scan(ScanRequest request, DynamoCallback<Page> done) {
  impl_->SendPage("Scan", protocol::ScanBody(request), impl_->NewDeadline(), std::move(done));
}

// Every page by one deadline: the operation is the whole walk.
void DynamoClient::QueryAll(QueryRequest request, DynamoCallback<std::vector<Item>> done) {
  AllPages(std::move(request), std::move(done),
           [impl = impl_, deadline = impl_->NewDeadline()](const QueryRequest& r,
                                                           DynamoCallback<Page> page_done) {
             impl->SendPage("Query", protocol::QueryBody(r), deadline, std::move(page_done));
           });
}

void DynamoClient::ScanAll(ScanRequest request, DynamoCallback<std::vector<Item>> done) {
  AllPages(std::move(request), std::move(done),
           [impl = impl_, deadline = impl_->NewDeadline()](const ScanRequest& r,
                                                           DynamoCallback<Page> page_done) {
             impl->SendPage("Scan", protocol::ScanBody(r), deadline, std::move(page_done));
           });
}

void DynamoClient::BatchWriteItem(std::string table, std::vector<WriteRequest> writes,
                                  DynamoCallback<Nothing> done) {
  struct State {
    std::string table;
    std::vector<WriteRequest> pending;
    int attempts = 0;
    DynamoCallback<Nothing> done;
    std::function<void()> next;
  };
  auto st = std::make_shared<State>(
      State{std::move(table), std::move(writes), 0, std::move(done), nullptr});
  if (st->pending.empty()) {
    // DynamoDB refuses an empty batch; there is nothing to do. Still answer on the event
    // thread, as every other operation does.
    impl_->http.RunAfter(std::chrono::milliseconds(0), [st] { st->done(Nothing{}); });
    return;
  }
  std::weak_ptr<Impl> weak_impl = impl_;
  // One deadline for every round of the batch.
  st->next = [weak = std::weak_ptr<State>(st), weak_impl, deadline = impl_->NewDeadline()] {
    auto s = weak.lock();
    auto impl = weak_impl.lock();
    if (!s || !impl) return;
    int budget = impl->options.max_attempts - s->attempts;
    impl->Send("BatchWriteItem", protocol::BatchWriteItemBody(s->table, s->pending), budget,
               deadline, [s, impl](Answer a) {
                 s->attempts += a.attempts;
                 if (!a.body) {
                   a.error.attempts = s->attempts;
                   s->done(std::move(a.error));
                   return;
                 }
                 auto unprocessed = protocol::UnprocessedWrites(*a.body, s->table);
                 if (auto* e = std::get_if<std::string>(&unprocessed)) {
                   s->done(Malformed("BatchWriteItem", *e, s->attempts));
                   return;
                 }
                 auto& left = std::get<std::vector<WriteRequest>>(unprocessed);
                 if (left.empty()) {
                   s->done(Nothing{});
                   return;
                 }
                 if (left.size() > s->pending.size()) {
                   s->done(Malformed("BatchWriteItem", "more UnprocessedItems than were sent",
                                     s->attempts));
                   return;
                 }
                 if (s->attempts >= impl->options.max_attempts) {
                   DynamoError e;
                   e.kind = DynamoErrorKind::kThrottled;
                   e.type = "UnprocessedItems";
                   e.message = "DynamoDB BatchWriteItem: " + std::to_string(left.size()) +
                               " writes still unprocessed after " + std::to_string(s->attempts) +
                               " attempts";
                   e.http_status = 200;
                   e.attempts = s->attempts;
                   s->done(std::move(e));
                   return;
                 }
                 s->pending = std::move(left);
                 impl->http.RunAfter(impl->Backoff(s->attempts - 1), [s] { s->next(); });
               });
  };
  st->next();
}

void DynamoClient::CreateTable(CreateTableRequest request, DynamoCallback<Nothing> done) {
  impl_->Call("CreateTable", protocol::CreateTableBody(request), std::move(done),
              [](const json::object&, int) { return DynamoResult<Nothing>(Nothing{}); });
}

void DynamoClient::DescribeTable(std::string table, DynamoCallback<TableDescription> done) {
  impl_->Call("DescribeTable", protocol::DescribeTableBody(table), std::move(done),
              [](const json::object& body, int attempts) -> DynamoResult<TableDescription> {
                auto d = protocol::TableDescriptionFromJson(body);
                if (!d) return Malformed("DescribeTable", "no Table.TableStatus", attempts);
                return std::move(*d);
              });
}

void DynamoClient::UpdateTimeToLive(std::string table, std::string attribute,
                                    DynamoCallback<Nothing> done) {
  impl_->Call("UpdateTimeToLive", protocol::UpdateTimeToLiveBody(table, attribute), std::move(done),
              [](const json::object&, int) { return DynamoResult<Nothing>(Nothing{}); });
}

void DynamoClient::CreateIndex(std::string table, GlobalSecondaryIndex index,
                               DynamoCallback<Nothing> done) {
  impl_->Call("UpdateTable", protocol::CreateIndexBody(table, index), std::move(done),
              [](const json::object&, int) { return DynamoResult<Nothing>(Nothing{}); });
}

std::int64_t DynamoClient::InFlight() const { return impl_->in_flight.load(); }
std::int64_t DynamoClient::MaxInFlight() const { return impl_->max_in_flight.load(); }
std::int64_t DynamoClient::RequestsSent() const { return impl_->requests_sent.load(); }

std::chrono::milliseconds DynamoClient::Unanswered() const {
  if (impl_->in_flight.load() <= 0) return std::chrono::milliseconds(0);
  std::int64_t waited = impl_->SteadyNanos() - impl_->progress_at.load(std::memory_order_relaxed);
  return std::chrono::milliseconds(std::max<std::int64_t>(waited, 0) / 1'000'000);
}

std::optional<std::chrono::milliseconds> DynamoClient::SinceLastAnswer() const {
  std::int64_t at = impl_->answered_at.load(std::memory_order_relaxed);
  if (at == 0) return std::nullopt;
  return std::chrono::milliseconds(std::max<std::int64_t>(impl_->SteadyNanos() - at, 0) /
                                   1'000'000);
}
std::int64_t DynamoClient::ItemsScanned() const { return impl_->items_scanned.load(); }

}  // namespace heartbeat::aws
