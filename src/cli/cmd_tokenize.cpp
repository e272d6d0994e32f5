// `t2 tokenize`: encodes JSONL text or chat prompts to ids (or decodes ids) with a checkpoint's
// tokenizer, one output line per input line. A bad line is reported with its line number and
// skipped; the other lines are still processed and the exit status says that something failed.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/error.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "io/line_reader.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace t2::cli {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "t2 tokenize --tokenizer PATH --input IN.jsonl [--no-special] [--decode] "
    "[--chat-template NAME]";

constexpr const char* kDescription =
    "Encodes each input line {\"text\": ...} (no BOS added) or {\"messages\": [{\"role\", "
    "\"content\"}...], \"add_generation_prompt\": bool} (rendered with the chat template, then "
    "encoded) and prints {\"ids\": [...]} per line, in order. With --decode each line is "
    "{\"ids\": [...]} and the output is {\"text\": ...}. A malformed line prints {\"error\": ...} "
    "in its place and a message naming the line number on stderr; the exit status is then 1.\n\n"
    "Options";

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Processes one line; returns the output JSON or throws t2::Error / json::exception.
json process(const json& in, const tokenizer::Tokenizer& tok,
             const tokenizer::ChatTemplate* forced_template, bool parse_special, bool decode) {
  T2_CHECK(in.is_object(), "expected a JSON object, found %s", in.type_name());
  if (decode) {
    T2_CHECK(in.contains("ids") && in["ids"].is_array(), "expected {\"ids\": [...]}");
    std::vector<int32_t> ids;
    for (const auto& v : in["ids"]) {
      T2_CHECK(v.is_number_integer(), "ids must be integers, found %s", dump(v).c_str());
      ids.push_back(v.get<int32_t>());
    }
    return json{{"text", tok.decode(ids)}};
  }
  std::string text;
  if (in.contains("text")) {
    T2_CHECK(in["text"].is_string(), "\"text\" must be a string, found %s", in["text"].type_name());
    T2_CHECK(!in.contains("messages"), "give either \"text\" or \"messages\", not both");
    text = in["text"].get<std::string>();
  } else if (in.contains("messages")) {
    T2_CHECK(in["messages"].is_array(), "\"messages\" must be an array");
    std::vector<tokenizer::Message> messages;
    for (const auto& m : in["messages"]) {
      T2_CHECK(m.is_object() && m.contains("role") && m["role"].is_string() &&
                   m.contains("content") && m["content"].is_string(),
               "each message must be {\"role\": string, \"content\": string}, found %s",
               dump(m).c_str());
      messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    const json gen = in.value("add_generation_prompt", json(false));
    T2_CHECK(gen.is_boolean(), "\"add_generation_prompt\" must be true or false");
    const auto& tmpl = forced_template ? *forced_template : tok.chat_template();
    text = tmpl.render(messages, gen.get<bool>());
  } else {
    T2_FAIL("expected {\"text\": ...} or {\"messages\": [...]}");
  }
  return json{{"ids", tok.encode(text, parse_special)}};
}

}  // namespace

int run_tokenize(int argc, char** argv) {
  po::options_description desc(kDescription);
  desc.add_options()
      ("tokenizer", po::value<std::string>()->required(),
       "tokenizer.json, a checkpoint directory holding tokenizer.json (+ tokenizer_config.json), "
       "or a .gguf file (tokenizer from its metadata)")
      ("input", po::value<std::string>()->required(), "JSONL input file ('-' reads stdin)")
      ("no-special", po::bool_switch(),
       "treat special-token strings in the text as plain text (default: parse them as tokens)")
      ("decode", po::bool_switch(), "read {\"ids\": [...]} lines and print {\"text\": ...}")
      ("chat-template", po::value<std::string>(),
       ("use this built-in chat template instead of the checkpoint's (" +
        tokenizer::ChatTemplate::builtin_names() + ")").c_str());
  size_t max_line_bytes = io::kDefaultMaxLineBytes;
  add_max_line_bytes_option(desc, max_line_bytes);
  const auto parsed = parse_options(kUsage, desc, argc, argv);
  if (parsed.help) return 0;
  const auto& vm = parsed.vm;

  const auto tok = tokenizer::Tokenizer::load(vm["tokenizer"].as<std::string>());
  std::optional<tokenizer::ChatTemplate> forced;
  if (vm.count("chat-template")) {
    const auto name_of = [&](int32_t id) { return id >= 0 ? tok.id_to_token(id) : std::string(); };
    forced = tokenizer::ChatTemplate::builtin(
        vm["chat-template"].as<std::string>(), name_of(tok.bos_id()),
        name_of(tok.eos_ids().empty() ? -1 : tok.eos_ids().front()));
  }
  const std::string input = vm["input"].as<std::string>();
  io::LineReader in(input, max_line_bytes);
  const bool parse_special = !vm["no-special"].as<bool>();
  const bool decode = vm["decode"].as<bool>();

  size_t n_lines = 0, n_failed = 0;
  for (std::string line; in.next(line);) {
    ++n_lines;
    std::string out;
    try {
      out = dump(process(json::parse(line), tok, forced ? &*forced : nullptr, parse_special,
                         decode));
    } catch (const std::exception& e) {  // t2::Error or a JSON parse/type error
      ++n_failed;
      const std::string msg = format("%s:%zu: %s", input.c_str(), n_lines, e.what());
      std::fprintf(stderr, "t2 tokenize: error: %s\n", msg.c_str());
      out = dump(json{{"error", msg}});
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
  if (n_failed > 0) {
    std::fprintf(stderr, "t2 tokenize: %zu of %zu lines failed\n", n_failed, n_lines);
    return 1;
  }
  return 0;
}

}  // namespace t2::cli
