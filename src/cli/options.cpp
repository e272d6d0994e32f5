// Implementation of the shared option parsing (command line + INI job file).
#include "cli/options.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "base/error.h"
#include "io/file_kind.h"    // require_regular_file
#include "io/line_reader.h"  // kDefaultMaxLineBytes

namespace t2::cli {

ParseResult parse_options(const std::string& usage, const po::options_description& desc, int argc,
                          char** argv, const po::positional_options_description* positional) {
  po::options_description common("Common options");
  common.add_options()("help,h", "print this help and exit")(
      "config", po::value<std::string>(), "read further options from an INI job file (jobs/*.cfg)");
  po::options_description all;
  all.add(desc).add(common);

  ParseResult result;
  try {
    auto parser = po::command_line_parser(argc, argv).options(all);  // argv[0] is skipped
    if (positional) parser.positional(*positional);
    po::store(parser.run(), result.vm);
    if (result.vm.count("help")) {
      std::cout << "usage: " << usage << "\n\n" << all << "\n";
      result.help = true;
      return result;
    }
    if (result.vm.count("config")) {
      const std::string path = result.vm["config"].as<std::string>();
      io::require_regular_file(path, "--config job file");
      std::ifstream file(path);
      T2_CHECK(file.good(), "cannot open job file '%s'", path.c_str());
      // allow_unregistered = false: a typo in a job file stops the run here.
      po::store(po::parse_config_file(file, all, false), result.vm);
    }
    po::notify(result.vm);
  } catch (const po::error& e) {
    throw CollectiveError(format("%s\nusage: %s (see --help)", e.what(), usage.c_str()));
  } catch (const Error& e) {  // the same command line and job file fail alike on every rank
    throw CollectiveError(e.what());
  }
  return result;
}

void add_max_line_bytes_option(po::options_description& desc, size_t& value) {
  desc.add_options()("max-line-bytes", po::value(&value)->default_value(io::kDefaultMaxLineBytes),
                     "longest input line accepted, in bytes; a longer one stops the command with "
                     "its line number (a file without newlines, /dev/zero, ...)");
}

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

namespace {
std::string value_text(const po::variable_value& v) {
  const auto& any = v.value();
  if (auto p = boost::any_cast<std::string>(&any)) return *p;
  if (auto p = boost::any_cast<int>(&any)) return std::to_string(*p);
  if (auto p = boost::any_cast<long>(&any)) return std::to_string(*p);
  if (auto p = boost::any_cast<unsigned>(&any)) return std::to_string(*p);
  if (auto p = boost::any_cast<unsigned long>(&any)) return std::to_string(*p);
  if (auto p = boost::any_cast<uint64_t>(&any)) return std::to_string(*p);
  if (auto p = boost::any_cast<double>(&any)) {
    std::ostringstream s;
    s.precision(17);
    s << *p;
    return s.str();
  }
  if (auto p = boost::any_cast<float>(&any)) {
    std::ostringstream s;
    s.precision(9);
    s << *p;
    return s.str();
  }
  if (auto p = boost::any_cast<bool>(&any)) return *p ? "true" : "false";
  if (auto p = boost::any_cast<std::vector<std::string>>(&any)) {
    std::string s;
    for (const auto& x : *p) s += (s.empty() ? "" : ",") + x;
    return s;
  }
  return "";  // switches without value
}
}  // namespace

std::string effective_config_ini(const po::variables_map& vm) {
  std::ostringstream out;
  for (const auto& [name, value] : vm) {
    if (name == "help" || name == "config") continue;
    out << name << " = " << value_text(value) << "\n";
  }
  return out.str();
}

}  // namespace t2::cli
