// Running the embedded plotting script; see plot_runner.h.
#include "cli/plot_runner.h"

#include <fcntl.h>   // open
#include <unistd.h>  // access, close

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/error.h"
#include "cli/child_process.h"
#include "cli/plot_script.h"  // kPlotScript, generated from plot_figures.py
#include "io/file.h"

namespace t2::cli::plot {

namespace {

namespace fs = std::filesystem;

constexpr int kNoMatplotlib = 3;  // the script's exit status when it cannot import matplotlib
constexpr const char* kInstallHint =
    "install Debian's python3-matplotlib (sudo apt-get install python3-matplotlib; "
    "scripts/setup.sh does it), or pass --python PATH to a python3 that has matplotlib 3.5 or newer";

// A private temporary folder, removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "t2-plot-XXXXXX").string();
    T2_CHECK(mkdtemp(tmpl.data()) != nullptr, "cannot create a temporary folder %s: %s",
             tmpl.c_str(), std::strerror(errno));
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// An executable's path: as given when it holds a '/', else the first match on PATH; "" if none.
std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    const std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (access(cand.c_str(), X_OK) == 0 && !fs::is_directory(cand)) return cand;
    start = end + 1;
  }
  return "";
}

std::string tail(const std::string& text, size_t n) {
  std::string t = text.size() > n ? "..." + text.substr(text.size() - n) : text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

}  // namespace

std::string_view plot_script() { return kPlotScript; }

std::vector<std::string> parse_formats(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = std::min(list.find(',', start), list.size());
    const std::string f = list.substr(start, end - start);
    T2_CHECK(f == "png" || f == "svg", "--format: expected png, svg or png,svg, found '%s'", list.c_str());
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    start = end + 1;
  }
  return out;
}

void require_writable_folder(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) fs::create_directories(dir, ec);
  T2_CHECK(!ec && fs::is_directory(dir), "cannot use %s as the output folder: %s; choose a "
           "writable folder with --out", dir.c_str(),
           ec ? ec.message().c_str() : "it exists and is not a folder");
  const std::string probe = (fs::path(dir) / ".t2-plot-write-test").string();
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  T2_CHECK(fd >= 0, "cannot write in the output folder %s: %s; choose a writable folder with --out",
           dir.c_str(), std::strerror(errno));
  close(fd);
  fs::remove(probe, ec);
}

std::vector<std::string> draw_figures(const nlohmann::json& figures, const DrawOptions& options) {
  T2_CHECK(figures.is_array(), "draw_figures: expected a list of figure requests");
  std::vector<std::string> files;
  for (const auto& f : figures) {
    const fs::path out = f.at("path").get<std::string>();
    require_writable_folder(out.has_parent_path() ? out.parent_path().string() : ".");
    for (const auto& fmt : options.formats) files.push_back(out.string() + "." + fmt);
  }
  if (files.empty()) return files;

  std::vector<std::string> candidates;
  if (!options.python.empty()) {
    const std::string p = find_executable(options.python);
    T2_CHECK(!p.empty(), "--python %s: no such executable; %s", options.python.c_str(), kInstallHint);
    candidates.push_back(p);
  } else {
    for (const std::string& p : {find_executable("python3"), std::string("/usr/bin/python3")}) {
      if (p.empty() || access(p.c_str(), X_OK) != 0) continue;
      bool seen = false;
      for (const auto& c : candidates) seen = seen || fs::equivalent(c, p);
      if (!seen) candidates.push_back(p);
    }
    T2_CHECK(!candidates.empty(), "t2 plot draws with matplotlib, but no python3 was found (PATH, "
             "/usr/bin/python3); %s", kInstallHint);
  }

  TempDir tmp;
  const std::string script = tmp.path + "/plot_figures.py", request = tmp.path + "/request.json";
  const std::string log = tmp.path + "/log.txt";
  io::write_file_atomic(script, plot_script());
  const nlohmann::json req = {{"formats", options.formats}, {"dpi", options.dpi}, {"figures", figures}};
  io::write_file_atomic(request, req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string tried;
  for (const std::string& py : candidates) {
    const int rc = run_child({py, script, request}, log, /*append=*/false);
    const std::string out = io::read_file(log);
    if (rc == kNoMatplotlib) {
      tried += (tried.empty() ? "" : "; ") + py + ": " + tail(out, 200);
      continue;
    }
    T2_CHECK(rc == 0, "the plotting script failed under %s (exit status %d):\n%s", py.c_str(), rc,
             tail(out, 2000).c_str());
    if (!out.empty()) std::fprintf(stderr, "%s", out.c_str());  // matplotlib's warnings
    for (const auto& f : files)
      T2_CHECK(fs::exists(f), "the plotting script ran under %s but did not write %s", py.c_str(),
               f.c_str());
    return files;
  }
  T2_FAIL("no python3 with matplotlib (tried %s); %s", tried.c_str(), kInstallHint);
}

}  // namespace t2::cli::plot
