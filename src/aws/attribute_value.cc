// AttributeValue: one immutable representation shared by every copy.

#include <charconv>

#include "aws/dynamodb.h"

namespace heartbeat::aws {

struct AttributeValue::Rep {
  Type type = Type::kNull;
  bool b = false;                    // kBool
  std::string text;                  // kS, kN, kB
  Item map;                          // kM
  std::vector<AttributeValue> list;  // kL
  std::vector<std::string> set;      // kSS, kNS, kBS
};

AttributeValue::AttributeValue() {
  static const std::shared_ptr<const Rep> kNullRep = std::make_shared<const Rep>();
  rep_ = kNullRep;
}

AttributeValue AttributeValue::Make(Type type, const std::function<void(Rep&)>& fill) {
  auto rep = std::make_shared<Rep>();
  rep->type = type;
  fill(*rep);
  AttributeValue v;
  v.rep_ = std::move(rep);
  return v;
}

AttributeValue AttributeValue::S(std::string s) {
  return Make(Type::kS, [&](Rep& r) { r.text = std::move(s); });
}

AttributeValue AttributeValue::N(std::int64_t n) { return NumberText(std::to_string(n)); }

AttributeValue AttributeValue::NumberText(std::string decimal) {
  return Make(Type::kN, [&](Rep& r) { r.text = std::move(decimal); });
}

AttributeValue AttributeValue::B(std::string bytes) {
  return Make(Type::kB, [&](Rep& r) { r.text = std::move(bytes); });
}

AttributeValue AttributeValue::Bool(bool b) {
  return Make(Type::kBool, [&](Rep& r) { r.b = b; });
}

AttributeValue AttributeValue::Null() { return AttributeValue(); }

AttributeValue AttributeValue::M(Item m) {
  return Make(Type::kM, [&](Rep& r) { r.map = std::move(m); });
}

AttributeValue AttributeValue::L(std::vector<AttributeValue> l) {
  return Make(Type::kL, [&](Rep& r) { r.list = std::move(l); });
}

AttributeValue AttributeValue::SS(std::vector<std::string> v) {
  return Make(Type::kSS, [&](Rep& r) { r.set = std::move(v); });
}

AttributeValue AttributeValue::NS(std::vector<std::string> v) {
  return Make(Type::kNS, [&](Rep& r) { r.set = std::move(v); });
}

AttributeValue AttributeValue::BS(std::vector<std::string> v) {
  return Make(Type::kBS, [&](Rep& r) { r.set = std::move(v); });
}

AttributeValue::Type AttributeValue::type() const { return rep_->type; }

const std::string* AttributeValue::AsString() const {
  return rep_->type == Type::kS ? &rep_->text : nullptr;
}

std::optional<std::int64_t> AttributeValue::AsInt64() const {
  if (rep_->type != Type::kN) return std::nullopt;
  const std::string& t = rep_->text;
  // Only the canonical integer form DynamoDB sends back: -?(0|[1-9][0-9]*). "1e3", "1.0",
  // "+1", " 1" and "007" are not integers here.
  std::size_t i = (!t.empty() && t[0] == '-') ? 1 : 0;
  if (i == t.size()) return std::nullopt;
  if (t[i] == '0' && t.size() != i + 1) return std::nullopt;
  if (t == "-0") return std::nullopt;
  for (std::size_t k = i; k < t.size(); ++k) {
    if (t[k] < '0' || t[k] > '9') return std::nullopt;
  }
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return n;
}

const std::string* AttributeValue::NumberTextOrNull() const {
  return rep_->type == Type::kN ? &rep_->text : nullptr;
}

const std::string* AttributeValue::AsBytes() const {
  return rep_->type == Type::kB ? &rep_->text : nullptr;
}

std::optional<bool> AttributeValue::AsBool() const {
  if (rep_->type != Type::kBool) return std::nullopt;
  return rep_->b;
}

bool AttributeValue::IsNull() const { return rep_->type == Type::kNull; }

const Item* AttributeValue::AsMap() const { return rep_->type == Type::kM ? &rep_->map : nullptr; }

const std::vector<AttributeValue>* AttributeValue::AsList() const {
  return rep_->type == Type::kL ? &rep_->list : nullptr;
}

const std::vector<std::string>* AttributeValue::AsSet() const {
  switch (rep_->type) {
    case Type::kSS:
    case Type::kNS:
    case Type::kBS:
      return &rep_->set;
    default:
      return nullptr;
  }
}

bool operator==(const AttributeValue& a, const AttributeValue& b) {
  if (a.rep_ == b.rep_) return true;
  const auto& x = *a.rep_;
  const auto& y = *b.rep_;
  if (x.type != y.type) return false;
  using T = AttributeValue::Type;
  switch (x.type) {
    case T::kNull:
      return true;
    case T::kBool:
      return x.b == y.b;
    case T::kS:
    case T::kN:  // by text: "1.0" and "1" differ here (DynamoDB normalises what it stores)
    case T::kB:
      return x.text == y.text;
    case T::kM:
      return x.map == y.map;
    case T::kL:
      return x.list == y.list;
    case T::kSS:
    case T::kNS:
    case T::kBS:
      return x.set == y.set;
  }
  return false;
}

}  // namespace heartbeat::aws
