// replace_all: literal substring replacement, used by the task extractors and the tokenizer's
// Replace normalizer. A pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace t2 {

// text with every occurrence of `from` replaced by `to`, left to right, without rescanning what
// was inserted. An empty `from` matches nothing (text is returned unchanged).
std::string replace_all(std::string_view text, std::string_view from, std::string_view to);

}  // namespace t2
