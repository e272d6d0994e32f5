// Figures of a `t2 demo` run, written next to its tables.txt: which experts beat the base model
// (experts.png), each expert's REINFORCE curves (training-NAME.png), the unseen tasks under base,
// prompt and classifier dispatch and CEM with the two-pass times (unseen.png), and each CEM search
// (cem-TASK.png). They come from the demo's summary (demo.json's "experts" and "unseen") and the
// files its stages wrote; a figure whose stage failed is left out.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/plot_runner.h"

namespace t2::cli::demo {

// Figure requests for the demo output folder demo_dir (summary: its demo.json content), drawn into
// out_dir.
nlohmann::json figure_requests(const std::string& demo_dir, const nlohmann::json& summary,
                               const std::string& out_dir);

// Draws the demo's figures (PNG) into demo_dir, records their file names (relative to demo_dir) in
// summary["figures"] — or, when they cannot be drawn (no matplotlib), the reason in
// summary["figures_problem"] — and returns a line for tables.txt naming them or saying why not.
// Never throws: a demo without figures is still a demo.
std::string add_figures(const std::string& demo_dir, nlohmann::json& summary,
                        const plot::DrawOptions& options = {});

}  // namespace t2::cli::demo
