// Drawing figure requests (plot_data.h) with the plotting script that is compiled into the t2
// binary (plot_figures.py, embedded by src/cli/CMakeLists.txt): the script and the request go to
// a private temporary folder and python3 runs the script there. Embedding, rather than installing
// the script beside the binary, means a t2 built, installed or copied anywhere finds it, needs no
// path configuration and can never pick up a script of another version.
//
// Interpreter: --python when given, else python3 on PATH and then /usr/bin/python3 (Debian's,
// where python3-matplotlib installs), the first that can import matplotlib. Cost: one python3
// process per call (about a second to import matplotlib), whatever the number of figures.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace t2::cli::plot {

struct DrawOptions {
  std::vector<std::string> formats = {"png"};  // png and/or svg
  int dpi = 100;                               // PNG pixels per inch (size × dpi = pixels)
  std::string python;                          // interpreter; empty: search (see above)
};

// "png,svg" -> {"png", "svg"}; throws on anything else.
std::vector<std::string> parse_formats(const std::string& list);

// Creates the folder when missing and checks that a file can be written in it; throws t2::Error
// with what failed and a hint.
void require_writable_folder(const std::string& dir);

// Draws every figure of `figures` (a JSON array of requests) in every format. Returns the files
// written (request path + "." + format). Throws t2::Error when no python3 is found, none can import
// matplotlib (naming Debian's python3-matplotlib), or the script fails (with its message).
std::vector<std::string> draw_figures(const nlohmann::json& figures, const DrawOptions& options);

// The embedded script's text.
std::string_view plot_script();

}  // namespace t2::cli::plot
