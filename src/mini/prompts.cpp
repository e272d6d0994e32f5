// The prompts of a suite's records, built by src/tasks and rendered by the Llama-3 chat template,
// for the pretraining corpus (mini.h prompt_files).
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "mini/mini.h"
#include "tasks/task.h"
#include "tokenizer/chat_template.h"

namespace t2::mini {
namespace {

// Chat text of a prompt up to and including the assistant pre-fill (what generation continues).
std::string chat_text(const tokenizer::ChatTemplate& chat, const tasks::Prompt& p) {
  std::vector<tokenizer::Message> messages;
  if (!p.system.empty()) messages.push_back({"system", p.system});
  messages.push_back({"user", p.user});
  return chat.render(messages, true) + p.prefill;
}

}  // namespace

std::vector<SuiteFile> prompt_files(const std::vector<SuiteFile>& suite) {
  const auto chat = tokenizer::ChatTemplate::builtin("llama3", "<|begin_of_text|>", "<|eot_id|>");
  const auto cls = tasks::make_task("cls");
  std::vector<SuiteFile> out;
  for (const SuiteFile& f : suite) {
    const std::string task_name = f.path.substr(0, f.path.find('/'));  // gsm8k, math, mbpp, humaneval, arc
    const auto task = tasks::make_task(task_name);
    SuiteFile p{"prompts/" + f.path, {}};
    for (size_t i = 0; i < f.records.size(); ++i) {
      const tasks::Sample s = task->parse_record(f.records[i], i);
      const tasks::Prompt classify = tasks::render_prompt(cls->prompt_template(), {{"question", s.question}});
      p.records.push_back({{"prompt", chat_text(chat, task->build_prompt(s))}, {"cls_prompt", chat_text(chat, classify)}});
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace t2::mini
