// Added tokens of a tokenizer.json (specials such as <|eot_id|>, </s>): finds them in text the way
// Hugging Face's AddedVocabulary does (leftmost-longest match, lstrip/rstrip/single_word options)
// and cuts the text into plain pieces and token ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace t2::tokenizer {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool normalized = false;  // matched in normalized text (else in the raw text)
  bool lstrip = false, rstrip = false, single_word = false;
};

// One piece of split text: plain text (id < 0) or an added token.
struct Segment {
  std::string_view text;  // the plain text; empty for tokens
  int32_t id = -1;
};

// A byte trie over the contents of a set of added tokens.
class AddedTokenMatcher {
 public:
  void add(const AddedToken& token);
  bool empty() const { return nodes_.size() <= 1; }

  // Splits text: tokens found become Segment{id}, the rest plain Segments (never empty ones).
  // skip_special: special tokens are not matched (they stay text), as with the reference's
  // encode_special_tokens. Thread-safe.
  void split(std::string_view text, bool skip_special, std::vector<Segment>* out) const;

 private:
  struct Node {
    int32_t child_first = -1;  // index into edges_
    int32_t token = -1;        // index into tokens_ when a token ends here
  };
  struct Edge {
    uint8_t byte;
    int32_t node;
    int32_t next;  // next sibling edge
  };
  int32_t child(int32_t node, uint8_t byte) const;
  std::vector<Node> nodes_ = std::vector<Node>(1);  // [0] is the root
  std::vector<Edge> edges_;
  std::vector<AddedToken> tokens_;
  bool first_byte_[256] = {};
};

}  // namespace t2::tokenizer
