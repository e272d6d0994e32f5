// Typed config key reads (see config_fields.h).
#include "model/config_fields.h"

#include "base/error.h"

namespace t2::model {

using json = nlohmann::json;

int64_t get_int(const json& j, const char* key, const std::string& source, bool required,
                int64_t fallback) {
  if (!j.contains(key) || j[key].is_null()) {
    T2_CHECK(!required, "%s: missing required key \"%s\"", source.c_str(), key);
    return fallback;
  }
  T2_CHECK(j[key].is_number_integer(), "%s: \"%s\" must be an integer, found %s", source.c_str(),
           key, j[key].dump().c_str());
  return j[key].get<int64_t>();
}

double get_num(const json& j, const char* key, const std::string& source, double fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  T2_CHECK(j[key].is_number(), "%s: \"%s\" must be a number, found %s", source.c_str(), key,
           j[key].dump().c_str());
  return j[key].get<double>();
}

bool get_bool(const json& j, const char* key, const std::string& source, bool fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  T2_CHECK(j[key].is_boolean(), "%s: \"%s\" must be true or false, found %s", source.c_str(), key,
           j[key].dump().c_str());
  return j[key].get<bool>();
}

std::string get_str(const json& j, const char* key, const std::string& source,
                    const std::string& fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  T2_CHECK(j[key].is_string(), "%s: \"%s\" must be a string, found %s", source.c_str(), key,
           j[key].dump().c_str());
  return j[key].get<std::string>();
}

}  // namespace t2::model
