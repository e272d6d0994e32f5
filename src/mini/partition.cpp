// Canonical keys and the hash partition of the mini problem space.
#include "mini/partition.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/error.h"

namespace t2::mini {

const char* part_name(Part p) {
  switch (p) {
    case Part::pretraining: return "pretraining";
    case Part::train: return "train";
    case Part::valid: return "valid";
    case Part::test: return "test";
  }
  return "?";
}

const char* family_name(Family f) {
  switch (f) {
    case Family::gsm8k: return "gsm8k";
    case Family::math: return "math";
    case Family::mbpp: return "mbpp";
    case Family::humaneval: return "humaneval";
    case Family::arc: return "arc";
  }
  return "?";
}

std::string problem_key(Family family, const nlohmann::json& r) {
  switch (family) {
    case Family::gsm8k: return r.at("question").get<std::string>();
    case Family::math: return r.at("problem").get<std::string>();
    case Family::mbpp: {
      const auto& tests = r.at("test_list");
      T2_CHECK(!tests.empty(), "mbpp record without tests");
      return r.at("text").get<std::string>() + "\x1f" + r.at("code").get<std::string>() + "\x1f" +
             tests.at(0).get<std::string>();
    }
    case Family::humaneval:
      return r.at("prompt").get<std::string>() + "\x1f" + r.at("canonical_solution").get<std::string>();
    case Family::arc: {
      std::vector<std::string> options;
      for (const auto& c : r.at("question").at("choices")) options.push_back(c.at("text").get<std::string>());
      std::sort(options.begin(), options.end());
      std::string key = r.at("question").at("stem").get<std::string>();
      for (const auto& o : options) key += "\x1f" + o;
      return key;
    }
  }
  T2_FAIL("unknown mini family");
}

Part problem_part(Family family, const std::string& key) {
  // FNV-1a over "family \x1e key", then the splitmix64 finaliser so that every bit mixes.
  uint64_t h = 0xcbf29ce484222325ull;
  auto eat = [&](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  };
  eat(family_name(family));
  eat("\x1e");
  eat(key);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  const uint64_t permille = h % 1000;
  if (permille < 500) return Part::pretraining;
  if (family == Family::math || family == Family::humaneval) return permille < 600 ? Part::valid : Part::test;
  if (permille < 750) return Part::train;
  if (permille < 850) return Part::valid;
  return Part::test;
}

}  // namespace t2::mini
