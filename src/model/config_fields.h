// Typed reads of config.json-style keys with messages that name the file and the key: what the
// Llama and LLaVA config parsers share. A missing or null key gives the fallback (or an error
// when required); a present key of the wrong type is always an error.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace t2::model {

int64_t get_int(const nlohmann::json& j, const char* key, const std::string& source, bool required,
                int64_t fallback = 0);
double get_num(const nlohmann::json& j, const char* key, const std::string& source, double fallback);
bool get_bool(const nlohmann::json& j, const char* key, const std::string& source, bool fallback);
std::string get_str(const nlohmann::json& j, const char* key, const std::string& source,
                    const std::string& fallback);

}  // namespace t2::model
