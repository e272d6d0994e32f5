// The unseen-task part of `t2 demo` (cmd_demo.cpp): reads the reports its stages wrote — t2 eval
// reports of the base model and of the prompt and classifier strategies, and one t2 search report
// per task — and turns them into figures (JSON, for demo.json) and the paper-style tables.
//
// Every accuracy is taken over the same samples: those outside the task's CEM shots (the search
// report's `shots`), so base, dispatch strategies and CEM are compared on equal terms.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace t2::cli::demo {

// Report paths of the unseen-task stages under the demo folder.
std::string eval_report(const std::string& out_dir, const std::string& strategy);  // base|prompt|classifier
std::string search_report(const std::string& out_dir, const std::string& task);
std::string mixture_file(const std::string& out_dir, const std::string& task);

// Per task: n (non-shot samples), accuracy of each strategy whose report exists, CEM accuracy and
// weights, "vs_base": prompt, classifier and CEM each against the base model paired on the same
// non-shot samples (demo_paired.h), and the pass-1 / pass-2 seconds of each strategy. Missing
// reports (a failed stage) leave their entries out.
nlohmann::json unseen_figures(const std::string& out_dir, const std::vector<std::string>& tasks);

// The accuracy table, the paired differences against the base, the CEM weights and the two-pass
// time table.
std::string unseen_tables(const nlohmann::json& figures);

}  // namespace t2::cli::demo
