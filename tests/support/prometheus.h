#pragma once
// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests:
// every line is a comment (# HELP / # TYPE), or `name{label="value",...} number`; a
// metric's TYPE comes before its samples; histogram buckets are cumulative and end with
// le="+Inf" equal to _count.

#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace heartbeat::testing {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // metric family -> counter|gauge|histogram...
  std::string error;                         // empty when the text is valid

  // The value of the one sample with this name and (a subset of) these labels.
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const {
    std::optional<double> found;
    for (const Sample& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        match = match && it != s.labels.end() && it->second == v;
      }
      if (!match) continue;
      if (found) return std::nullopt;  // ambiguous
      found = s.value;
    }
    return found;
  }
};

inline Exposition ParsePrometheus(const std::string& text) {
  Exposition out;
  static const std::regex kComment(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([-+]?([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|Inf|NaN))$)");
  static const std::regex kLabel(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  auto fail = [&](const std::string& why) {
    if (out.error.empty()) out.error = "line " + std::to_string(n) + ": " + why + ": " + line;
  };
  if (text.empty() || text.back() != '\n') fail("the text must end with a newline");
  while (std::getline(lines, line)) {
    ++n;
    if (line.empty()) continue;
    std::smatch m;
    if (line[0] == '#') {
      if (!std::regex_match(line, m, kComment)) {
        fail("bad comment");
        continue;
      }
      if (m[1] == "TYPE") {
        std::string type = m[3];
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
            type != "untyped") {
          fail("unknown type");
        }
        if (out.types.count(m[2])) fail("TYPE given twice");
        out.types[m[2]] = type;
      }
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      fail("bad sample");
      continue;
    }
    Sample s;
    s.name = m[1];
    std::string labels = m[3];
    static const std::regex kLabels(
        R"re(^([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*,?)?$)re");
    if (!std::regex_match(labels, kLabels)) fail("bad labels");
    for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
      s.labels[(*it)[1]] = (*it)[2];
    }
    s.value = std::stod(m[4]);
    std::string family = s.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string suf(suffix);
      if (family.size() > suf.size() &&
          family.compare(family.size() - suf.size(), suf.size(), suf) == 0 &&
          out.types.count(family.substr(0, family.size() - suf.size())) &&
          out.types[family.substr(0, family.size() - suf.size())] == "histogram") {
        family = family.substr(0, family.size() - suf.size());
      }
    }
    if (!out.types.count(family)) fail("sample before its TYPE");
    out.samples.push_back(std::move(s));
  }
  // Histograms: buckets cumulative, +Inf == _count.
  for (const auto& [family, type] : out.types) {
    if (type != "histogram") continue;
    std::map<std::string, std::vector<const Sample*>> series;  // by labels without le
    for (const Sample& s : out.samples) {
      if (s.name != family + "_bucket") continue;
      std::string key;
      for (const auto& [k, v] : s.labels) {
        if (k != "le") key += k + "=" + v + ",";
      }
      series[key].push_back(&s);
    }
    for (const auto& [key, buckets] : series) {
      double last = -1;
      for (const Sample* b : buckets) {
        if (b->value < last) out.error = family + " buckets are not cumulative for " + key;
        last = b->value;
      }
      if (buckets.empty() || buckets.back()->labels.at("le") != "+Inf") {
        out.error = family + " has no le=\"+Inf\" bucket for " + key;
        continue;
      }
      std::map<std::string, std::string> labels = buckets.back()->labels;
      labels.erase("le");
      std::optional<double> count = out.Value(family + "_count", labels);
      if (!count || *count != buckets.back()->value) {
        out.error = family + "_count differs from the +Inf bucket for " + key;
      }
    }
  }
  return out;
}

}  // namespace heartbeat::testing
