// Added-token matching; see added_tokens.h.
#include "tokenizer/added_tokens.h"

#include "tokenizer/unicode.h"

namespace t2::tokenizer {
namespace {

bool is_word_char(uint32_t cp) {
  return cp == '_' || (char_class(cp) & (kClassLetter | kClassNumber)) != 0;
}

// Code point that ends text / starts text (0 when empty or invalid).
uint32_t last_char(std::string_view text) {
  for (size_t back = 1; back <= 4 && back <= text.size(); ++back) {
    uint32_t cp;
    if (utf8_decode(text, text.size() - back, &cp) == back) return cp;
  }
  return 0;
}
uint32_t first_char(std::string_view text) {
  uint32_t cp = 0;
  return !text.empty() && utf8_decode(text, 0, &cp) ? cp : 0;
}

}  // namespace

int32_t AddedTokenMatcher::child(int32_t node, uint8_t byte) const {
  for (int32_t e = nodes_[node].child_first; e >= 0; e = edges_[e].next)
    if (edges_[e].byte == byte) return edges_[e].node;
  return -1;
}

void AddedTokenMatcher::add(const AddedToken& token) {
  if (token.content.empty()) return;
  int32_t node = 0;
  for (char ch : token.content) {
    const auto b = static_cast<uint8_t>(ch);
    int32_t next = child(node, b);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.push_back(Node{});
      edges_.push_back(Edge{b, next, nodes_[node].child_first});
      nodes_[node].child_first = static_cast<int32_t>(edges_.size() - 1);
    }
    node = next;
  }
  first_byte_[static_cast<uint8_t>(token.content[0])] = true;
  if (nodes_[node].token >= 0) {
    tokens_[nodes_[node].token] = token;  // same content twice: the later entry wins
  } else {
    nodes_[node].token = static_cast<int32_t>(tokens_.size());
    tokens_.push_back(token);
  }
}

void AddedTokenMatcher::split(std::string_view text, bool skip_special,
                              std::vector<Segment>* out) const {
  size_t emitted = 0;  // text before this offset has been handed out
  auto emit_text = [&](size_t end) {
    if (end > emitted) out->push_back(Segment{text.substr(emitted, end - emitted), -1});
  };
  for (size_t i = 0; i < text.size();) {
    if (!first_byte_[static_cast<uint8_t>(text[i])]) {
      ++i;
      continue;
    }
    // Longest token starting at i.
    int32_t node = 0, best = -1;
    size_t best_end = 0;
    for (size_t k = i; k < text.size(); ++k) {
      node = child(node, static_cast<uint8_t>(text[k]));
      if (node < 0) break;
      if (nodes_[node].token >= 0) best = nodes_[node].token, best_end = k + 1;
    }
    if (best < 0) {
      ++i;
      continue;
    }
    const AddedToken& tok = tokens_[best];
    size_t start = i, stop = best_end;
    i = best_end;  // matches never overlap, even when one is then skipped
    if (skip_special && tok.special) continue;
    if (tok.single_word && ((start > 0 && is_word_char(last_char(text.substr(0, start)))) ||
                            (stop < text.size() && is_word_char(first_char(text.substr(stop)))))) {
      continue;
    }
    if (tok.lstrip) {
      while (start > emitted && (char_class(static_cast<uint8_t>(text[start - 1])) & kClassSpace) &&
             static_cast<uint8_t>(text[start - 1]) < 0x80)
        --start;
    }
    if (tok.rstrip) {
      while (stop < text.size() && static_cast<uint8_t>(text[stop]) < 0x80 &&
             (char_class(static_cast<uint8_t>(text[stop])) & kClassSpace))
        ++stop;
      i = stop;
    }
    emit_text(start);
    out->push_back(Segment{{}, tok.id});
    emitted = stop;
  }
  emit_text(text.size());
}

}  // namespace t2::tokenizer
