// Fingerprints stored in a report's run attributes, so that results can be traced to their inputs:
// file contents (data files, tokenizer) and a checkpoint's structure (config.json plus every
// safetensors header and file size; not a full checksum of multi-GB weights, see docs/eval.md).
// 64-bit FNV-1a, as 16 hex digits. Not cryptographic: it catches mix-ups, not tampering.
#pragma once

#include <string>

namespace t2::adapt {

// Hash of a whole file's bytes. Throws t2::Error naming the file when it cannot be read.
std::string file_fingerprint(const std::string& path);
// Hash of config.json, and of the name, size and header of each *.safetensors file of dir.
std::string checkpoint_fingerprint(const std::string& dir);

}  // namespace t2::adapt
