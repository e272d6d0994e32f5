// Placeholder rendering and the prompt-file parser.
#include "tasks/prompt.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "io/file.h"

namespace t2::tasks {

std::string render_placeholders(const std::string& text, const PromptVariables& vars) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      const size_t close = text.find('}', i + 1);
      if (close != std::string::npos) {
        const auto it = vars.find(text.substr(i + 1, close - i - 1));
        if (it != vars.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

Prompt render_prompt(const PromptTemplate& t, const PromptVariables& vars) {
  Prompt p = t;
  p.system = render_placeholders(t.system, vars);
  p.user = render_placeholders(t.user, vars);
  p.prefill = render_placeholders(t.prefill, vars);
  return p;
}

PromptTemplate instruction_template(std::string system, std::string user, std::string prefill,
                                    int max_new_tokens, int context_limit) {
  return {std::move(system), std::move(user), std::move(prefill),
          {"Instruction:", "Instruction", "Response:", "Response"}, max_new_tokens, context_limit};
}

namespace {

int parse_positive(const std::string& body, const std::string& where) {
  size_t used = 0;
  int v = 0;
  try {
    v = std::stoi(body, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  while (used < body.size() && (body[used] == '\n' || body[used] == ' ')) ++used;
  T2_CHECK(used == body.size() && v > 0, "%s: expected a positive integer, found '%s'",
           where.c_str(), body.c_str());
  return v;
}

}  // namespace

PromptTemplate parse_prompt_file(const std::string& text, const std::string& source_name,
                                 const PromptTemplate& base) {
  PromptTemplate t = base;
  std::string section;
  size_t section_line = 0;
  std::string body;
  bool have_body = false;
  auto flush = [&]() {
    if (section.empty()) return;
    const std::string where = format("%s:%zu [%s]", source_name.c_str(), section_line, section.c_str());
    if (section == "system") {
      t.system = body;
    } else if (section == "user") {
      t.user = body;
    } else if (section == "prefill") {
      t.prefill = body;
    } else if (section == "stop") {
      t.stop.clear();
      size_t pos = 0;
      size_t n = 0;
      while (pos <= body.size() && have_body) {
        size_t end = body.find('\n', pos);
        if (end == std::string::npos) end = body.size();
        const std::string line = body.substr(pos, end - pos);
        pos = end + 1;
        ++n;
        if (line.empty()) continue;
        nlohmann::json v;
        try {
          v = nlohmann::json::parse(line);
        } catch (const std::exception&) {
        }
        T2_CHECK(v.is_string() && !v.get<std::string>().empty(),
                 "%s line %zu: expected a non-empty JSON string such as \"Response:\", found %s",
                 where.c_str(), n, line.c_str());
        t.stop.push_back(v.get<std::string>());
      }
    } else if (section == "max_new_tokens") {
      t.max_new_tokens = parse_positive(body, where);
    } else if (section == "context_limit") {
      t.context_limit = parse_positive(body, where);
    }
  };
  size_t pos = 0;
  size_t line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > 2 && line.front() == '[' && line.back() == ']' &&
        line.find(' ') == std::string::npos) {
      flush();
      section = line.substr(1, line.size() - 2);
      static const char* kKnown[] = {"system", "user", "prefill", "stop", "max_new_tokens",
                                     "context_limit"};
      bool known = false;
      for (const char* k : kKnown) known = known || section == k;
      T2_CHECK(known,
               "%s:%zu: unknown section [%s]; expected one of [system] [user] [prefill] [stop] "
               "[max_new_tokens] [context_limit]",
               source_name.c_str(), line_no, section.c_str());
      section_line = line_no;
      body.clear();
      have_body = false;
      continue;
    }
    if (section.empty()) {
      T2_CHECK(line.empty() || line[0] == '#',
               "%s:%zu: text before the first section header; expected '# comment' or a header "
               "like [user]",
               source_name.c_str(), line_no);
      continue;
    }
    if (have_body) body += '\n';
    body += line;
    have_body = true;
  }
  flush();
  return t;
}

PromptTemplate load_prompt_file(const std::string& path, const PromptTemplate& base) {
  return parse_prompt_file(io::read_file(path), path, base);
}

}  // namespace t2::tasks
