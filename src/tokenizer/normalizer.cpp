// Normalizer and decoder steps; see normalizer.h.
#include "tokenizer/normalizer.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/text.h"  // replace_all
#include "tokenizer/byte_level.h"
#include "tokenizer/unicode.h"

namespace t2::tokenizer {
namespace {

std::string type_of(const nlohmann::json& spec) {
  return spec.is_object() && spec.contains("type") && spec["type"].is_string()
             ? spec["type"].get<std::string>()
             : std::string("?");
}

// Replace's pattern must be {"String": s}; regex patterns are not supported.
std::string literal_pattern(const nlohmann::json& spec, const std::string& source) {
  const auto& p = spec.at("pattern");
  T2_CHECK(p.is_object() && p.contains("String") && p["String"].is_string(),
           "%s: Replace with pattern %s is not supported (only {\"String\": ...})",
           source.c_str(), p.dump().c_str());
  std::string s = p["String"].get<std::string>();
  T2_CHECK(!s.empty(), "%s: Replace with an empty pattern", source.c_str());
  return s;
}

}  // namespace

Normalizer::Normalizer(const nlohmann::json& spec, const std::string& source) {
  if (!spec.is_null()) add(spec, source);
}

void Normalizer::add(const nlohmann::json& spec, const std::string& source) {
  const std::string type = type_of(spec);
  try {
    if (type == "Sequence") {
      for (const auto& s : spec.at("normalizers")) add(s, source);
    } else if (type == "Prepend") {
      steps_.push_back({Step::Kind::prepend, spec.at("prepend").get<std::string>(), ""});
    } else if (type == "Replace") {
      steps_.push_back({Step::Kind::replace, literal_pattern(spec, source),
                        spec.at("content").get<std::string>()});
    } else {
      T2_FAIL("%s: normalizer type '%s' is not supported (supported: Prepend, Replace, Sequence)",
              source.c_str(), type.c_str());
    }
  } catch (const nlohmann::json::exception& e) {
    T2_FAIL("%s: malformed %s normalizer: %s", source.c_str(), type.c_str(), e.what());
  }
}

std::string Normalizer::apply(std::string text) const {
  for (const auto& s : steps_) {
    if (s.kind == Step::Kind::prepend) {
      if (!text.empty()) text.insert(0, s.a);  // the reference prepends to non-empty text only
    } else {
      text = replace_all(text, s.a, s.b);
    }
  }
  return text;
}

Decoder::Decoder(const nlohmann::json& spec, const std::string& source) {
  if (spec.is_null()) return;
  present_ = true;
  add(spec, source);
}

void Decoder::add(const nlohmann::json& spec, const std::string& source) {
  const std::string type = type_of(spec);
  try {
    if (type == "Sequence") {
      for (const auto& s : spec.at("decoders")) add(s, source);
    } else if (type == "ByteLevel") {
      steps_.push_back({Step::Kind::byte_level, "", ""});
    } else if (type == "Replace") {
      steps_.push_back({Step::Kind::replace, literal_pattern(spec, source),
                        spec.at("content").get<std::string>()});
    } else if (type == "ByteFallback") {
      steps_.push_back({Step::Kind::byte_fallback, "", ""});
    } else if (type == "Fuse") {
      steps_.push_back({Step::Kind::fuse, "", ""});
    } else if (type == "Strip") {
      Step s{Step::Kind::strip, spec.at("content").get<std::string>(), ""};
      s.start = spec.at("start").get<int>();
      s.stop = spec.at("stop").get<int>();
      T2_CHECK(s.a.size() == 1, "%s: Strip decoder content '%s' must be one ASCII character",
               source.c_str(), s.a.c_str());
      steps_.push_back(s);
    } else if (type == "Metaspace") {
      Step s{Step::Kind::metaspace, spec.at("replacement").get<std::string>(), ""};
      const std::string scheme = spec.value("prepend_scheme", std::string(
          spec.value("add_prefix_space", true) ? "always" : "never"));
      s.start = scheme == "never" ? 0 : 1;
      steps_.push_back(s);
    } else {
      T2_FAIL("%s: decoder type '%s' is not supported (supported: ByteLevel, Metaspace, Replace, "
              "ByteFallback, Fuse, Strip, Sequence)", source.c_str(), type.c_str());
    }
  } catch (const nlohmann::json::exception& e) {
    T2_FAIL("%s: malformed %s decoder: %s", source.c_str(), type.c_str(), e.what());
  }
}

namespace {

// <0xNN> -> byte value, else -1.
int fallback_byte(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const int hi = hex(t[3]), lo = hex(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

void byte_fallback(std::vector<std::string>* tokens) {
  std::vector<std::string> out;
  std::string bytes;
  auto flush = [&] {
    if (bytes.empty()) return;
    if (find_invalid_utf8(bytes) == std::string::npos) {
      out.push_back(bytes);
    } else {
      for (size_t i = 0; i < bytes.size(); ++i) out.emplace_back("\xEF\xBF\xBD");
    }
    bytes.clear();
  };
  for (auto& t : *tokens) {
    const int b = fallback_byte(t);
    if (b >= 0) {
      bytes.push_back(static_cast<char>(b));
    } else {
      flush();
      out.push_back(std::move(t));
    }
  }
  flush();
  *tokens = std::move(out);
}

}  // namespace

std::string Decoder::decode(std::vector<std::string> tokens) const {
  if (!present_) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  for (const auto& s : steps_) {
    switch (s.kind) {
      case Step::Kind::byte_level: {
        std::string bytes;
        for (const auto& t : tokens) {
          auto raw = alphabet_to_bytes(t);
          bytes += raw ? *raw : t;  // a token outside the alphabet contributes its own bytes
        }
        tokens.assign(1, utf8_lossy(bytes));
        break;
      }
      case Step::Kind::replace:
        for (auto& t : tokens) t = replace_all(t, s.a, s.b);
        break;
      case Step::Kind::byte_fallback:
        byte_fallback(&tokens);
        break;
      case Step::Kind::fuse: {
        std::string all;
        for (const auto& t : tokens) all += t;
        tokens.assign(1, std::move(all));
        break;
      }
      case Step::Kind::strip:
        for (auto& t : tokens) {
          int a = 0, b = 0;
          const int n = static_cast<int>(t.size());
          while (a < s.start && a < n && t[a] == s.a[0]) ++a;
          while (b < s.stop && b < n - a && t[n - 1 - b] == s.a[0]) ++b;
          t = t.substr(a, n - a - b);
        }
        break;
      case Step::Kind::metaspace:
        for (size_t i = 0; i < tokens.size(); ++i) {
          tokens[i] = replace_all(tokens[i], s.a, " ");
          if (i == 0 && s.start && !tokens[i].empty() && tokens[i][0] == ' ') tokens[i].erase(0, 1);
        }
        break;
    }
  }
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

}  // namespace t2::tokenizer
