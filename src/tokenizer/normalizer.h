// Normalizers and decoders of a tokenizer.json, restricted to the kinds the supported families use:
// normalizers Prepend, Replace (literal pattern) and Sequence; decoders ByteLevel, Metaspace,
// Replace, ByteFallback, Fuse, Strip and Sequence. Any other kind is refused at load time with the
// file name, so an unsupported tokenizer never produces silently different ids.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace t2::tokenizer {

class Normalizer {
 public:
  Normalizer() = default;  // identity
  // Reads the "normalizer" value of tokenizer.json (null allowed). Throws t2::Error.
  Normalizer(const nlohmann::json& spec, const std::string& source);

  bool is_identity() const { return steps_.empty(); }
  std::string apply(std::string text) const;

 private:
  struct Step {
    enum class Kind { prepend, replace } kind;
    std::string a, b;  // prepend: a = prefix; replace: a -> b
  };
  void add(const nlohmann::json& spec, const std::string& source);
  std::vector<Step> steps_;
};

class Decoder {
 public:
  Decoder() = default;  // tokens joined with spaces, as the reference does without a decoder
  // Reads the "decoder" value of tokenizer.json (null allowed). Throws t2::Error.
  Decoder(const nlohmann::json& spec, const std::string& source);

  // Token texts (as spelled in tokenizer.json) to the decoded string.
  std::string decode(std::vector<std::string> tokens) const;

 private:
  struct Step {
    enum class Kind { byte_level, replace, byte_fallback, fuse, strip, metaspace } kind;
    std::string a, b;    // replace: a -> b; strip: a = content; metaspace: a = replacement
    int start = 0, stop = 0;  // strip counts; metaspace: start = 1 strips one leading space
  };
  void add(const nlohmann::json& spec, const std::string& source);
  std::vector<Step> steps_;
  bool present_ = false;
};

}  // namespace t2::tokenizer
