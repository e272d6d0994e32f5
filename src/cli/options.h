// Command-line and job-file parsing shared by every subcommand. Each subcommand builds a
// Boost.Program_options description; parse_options adds --help and --config, reads the command line
// and then the INI job file (command line wins), and rejects unknown options in either.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace t2::cli {

namespace po = boost::program_options;

struct ParseResult {
  po::variables_map vm;
  bool help = false;  // --help was given and printed; the command should return 0
};

// usage: one line such as "t2 tokenize --tokenizer PATH --input IN.jsonl".
// Throws t2::CollectiveError listing every problem (unknown option, missing value, a job file
// that is missing, not a file or malformed): every rank of a job parses the same arguments.
ParseResult parse_options(const std::string& usage, const po::options_description& desc, int argc,
                          char** argv, const po::positional_options_description* positional = nullptr);

// Registers --max-line-bytes (bound on one line of a line-based input, io/line_reader.h) with
// the default io::kDefaultMaxLineBytes, stored in `value`.
void add_max_line_bytes_option(po::options_description& desc, size_t& value);

// Splits "a,b,c" into its non-empty parts (used by list-valued options like --batch 1,16).
std::vector<std::string> split_list(const std::string& text, char sep = ',');

// Renders the effective configuration as INI text (stored in reports).
std::string effective_config_ini(const po::variables_map& vm);

}  // namespace t2::cli
