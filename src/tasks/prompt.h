// Prompt structure and templates. A Prompt is what a task hands to generation: role/content strings
// (chat rendering into tokens is the tokenizer's job), the assistant pre-fill, stop strings and
// token limits. A PromptTemplate holds the same fields with {placeholders}; it can be read from a
// small sectioned text file so that any published prompt can be reproduced exactly.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace t2::tasks {

struct Prompt {
  std::string system;   // may be empty: no system turn
  std::string user;
  std::string prefill;  // text the assistant turn starts with; the model continues it
  std::vector<std::string> stop;
  int max_new_tokens = 512;
  int context_limit = 1024;
};

using PromptVariables = std::map<std::string, std::string>;

// The same fields with {placeholders} in system, user and prefill (render_prompt fills them).
using PromptTemplate = Prompt;

// The template of the built-in text tasks: a system and a user turn (and an optional assistant
// pre-fill) that stop where a model starts a new "Instruction:" or "Response:" section.
PromptTemplate instruction_template(std::string system, std::string user, std::string prefill,
                                    int max_new_tokens, int context_limit);

// Replaces every {name} whose name is a key of vars by its value. Any other brace text (such as
// \boxed{label} or {{) is kept as written, so LaTeX and code need no escaping.
std::string render_placeholders(const std::string& text, const PromptVariables& vars);

Prompt render_prompt(const PromptTemplate& t, const PromptVariables& vars);

// Prompt file format (docs/tasks.md): lines "[system]", "[user]", "[prefill]", "[stop]",
// "[max_new_tokens]", "[context_limit]" open sections; a section's text runs to the next header
// (the final newline before a header is not part of it). [stop] has one stop string per line,
// written as JSON strings ("Response:") so that whitespace is explicit. Lines before the first
// header starting with '#' are comments. Sections left out keep the values of `base`.
// Throws t2::Error naming the file and line on unknown sections or bad values.
PromptTemplate parse_prompt_file(const std::string& text, const std::string& source_name,
                                 const PromptTemplate& base);
PromptTemplate load_prompt_file(const std::string& path, const PromptTemplate& base);

}  // namespace t2::tasks
