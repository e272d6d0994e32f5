// Two-pass dispatch; see dispatch.h.
#include "adapt/dispatch.h"

#include <filesystem>

#include "base/error.h"

namespace t2::adapt {

namespace fs = std::filesystem;

std::vector<std::string> strategy_problems(const EvalConfig& c) {
  std::vector<std::string> p;
  const std::string& s = c.strategy;
  const bool two_pass = s == "prompt" || s == "classifier";
  if (!s.empty() && s != "base" && s != "expert" && s != "mixture" && !two_pass)
    p.push_back("--strategy must be base, expert, mixture, prompt or classifier, got '" + s + "'");
  if (s == "expert" && c.expert.empty()) p.push_back("--strategy expert needs --expert FILE");
  if (s == "mixture" && c.mixture.empty()) p.push_back("--strategy mixture needs --mixture FILE");
  if (s == "base" && (!c.expert.empty() || !c.mixture.empty() || !c.experts.empty()))
    p.push_back("--strategy base takes no --expert, --mixture or --experts");
  if (two_pass) {
    if (c.svd.empty()) p.push_back("--strategy " + s + " needs --svd (the SVD store of the model)");
    if (c.experts.empty())
      p.push_back("--strategy " + s + " needs --experts math=F,code=F,reasoning=F");
    if (!c.expert.empty() || !c.mixture.empty())
      p.push_back("--strategy " + s + " takes --experts, not --expert/--mixture");
    for (const auto& [label, path] : c.experts) {
      if (label != "math" && label != "code" && label != "reasoning")
        p.push_back("--experts " + label + "=" + path + ": labels are math, code and reasoning");
      if (!fs::is_regular_file(path)) p.push_back("--experts " + label + "=" + path + ": no such file");
    }
    if (s == "classifier" && c.cls_expert.empty())
      p.push_back("--strategy classifier needs --cls-expert FILE");
    if (s == "prompt" && !c.cls_expert.empty())
      p.push_back("--cls-expert is for --strategy classifier (prompt dispatch runs the base model)");
  } else if (!c.experts.empty() || !c.cls_expert.empty()) {
    p.push_back("--experts and --cls-expert need --strategy prompt or classifier");
  }
  if (!c.cls_expert.empty() && !fs::is_regular_file(c.cls_expert))
    p.push_back("--cls-expert " + c.cls_expert + ": no such file");
  if (c.dispatch_other != "base" && c.dispatch_other != "reference")
    p.push_back("--dispatch-other must be base or reference, got '" + c.dispatch_other + "'");
  return p;
}

DispatchSummary dispatch_summary(const std::vector<io::SampleRecord>& records,
                                 const std::vector<std::string>& true_category) {
  DispatchSummary s;
  for (size_t i = 0; i < records.size(); ++i) {
    const io::SampleRecord& r = records[i];
    const std::string label = r.label.empty() ? "(none)" : r.label;
    auto& g = s.by_label[label];
    g.second += 1;
    g.first += r.correct ? 1 : 0;
    s.n += 1;
    s.correct += r.correct ? 1 : 0;
    s.confusion[i < true_category.size() ? true_category[i] : "?"][label] += 1;
    s.pass1_s += r.pass1_wall_s;
    s.pass2_s += r.pass2_wall_s;
  }
  return s;
}

std::string format_dispatch_summary(const std::string& task, const DispatchSummary& s) {
  std::string o = t2::format("dispatch %s: %lld samples, accuracy %.4f\n", task.c_str(),
                             static_cast<long long>(s.n), s.n ? double(s.correct) / s.n : 0.0);
  for (const auto& [label, g] : s.by_label)
    o += t2::format("  label %-10s n %6lld  accuracy %.4f\n", label.c_str(),
                    static_cast<long long>(g.second), g.second ? double(g.first) / g.second : 0.0);
  for (const auto& [cat, row] : s.confusion) {
    o += t2::format("  true %-10s ->", cat.c_str());
    for (const auto& [label, n] : row) o += t2::format(" %s %lld", label.c_str(), static_cast<long long>(n));
    o += "\n";
  }
  o += t2::format("  pass 1 %.2f s, pass 2 %.2f s, ratio pass1/pass2 %.3f\n", s.pass1_s, s.pass2_s,
                  s.pass2_s > 0 ? s.pass1_s / s.pass2_s : 0.0);
  return o;
}

}  // namespace t2::adapt
