// Typed access to JSON record fields with errors that say which field was missing or had the wrong
// type. Used by the task loaders; the caller adds the file and line.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace t2::tasks {

// The string field `key`; throws t2::Error "field 'key': expected a string, found <type>".
std::string field_string(const nlohmann::json& record, const char* key);
// An integer or a string field, returned as text (ids are integers in MBPP, strings elsewhere).
std::string field_id(const nlohmann::json& record, const char* key);
// The field `key`, which must exist (any type).
const nlohmann::json& field_any(const nlohmann::json& record, const char* key);

}  // namespace t2::tasks
