// Implementation of the shared option parsing (command line + INI job file).
#include "cli/options.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>
#include <vector>

#include "base/error.h"
#include "io/file_kind.h"    // require_regular_file
#include "io/line_reader.h"  // kDefaultMaxLineBytes

namespace t2::cli {

namespace {

// Old spellings of options that now have one name in every command. They are accepted, with a
// warning, for one release (docs/architecture.md, "Options").
constexpr std::pair<const char*, const char*> kDeprecated[] = {
    {"max-tokens", "max-new-tokens"},
    {"allow-code", "allow-code-execution"},
};

// The canonical name of an option spelt `name`, when that spelling is deprecated and the command
// knows the canonical one; otherwise name itself.
std::string canonical(const std::string& name, const po::options_description& desc) {
  for (const auto& [old_name, new_name] : kDeprecated)
    if (name == old_name && desc.find_nothrow(new_name, false) != nullptr &&
        desc.find_nothrow(old_name, false) == nullptr) {
      std::cerr << "t2: warning: --" << old_name << " is deprecated; use --" << new_name << "\n";
      return new_name;
    }
  return name;
}

// argv with deprecated option names replaced.
std::vector<std::string> canonical_args(int argc, char** argv, const po::options_description& desc) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.rfind("--", 0) == 0 && a.size() > 2) {
      const size_t eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      a = "--" + canonical(name, desc) + (eq == std::string::npos ? "" : a.substr(eq));
    }
    out.push_back(std::move(a));
  }
  return out;
}

// A job file's text with deprecated keys replaced.
std::string canonical_ini(std::istream& in, const po::options_description& desc) {
  std::string out, line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    const size_t start = line.find_first_not_of(" \t");
    if (eq != std::string::npos && start != std::string::npos && start < eq && line[start] != '#') {
      const size_t end = line.find_last_not_of(" \t", eq - 1);
      line = line.substr(0, start) + canonical(line.substr(start, end + 1 - start), desc) +
             line.substr(end + 1);
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

ParseResult parse_options(const std::string& usage, const po::options_description& desc, int argc,
                          char** argv, const po::positional_options_description* positional) {
  po::options_description common("Common options");
  common.add_options()("help,h", "print this help and exit")(
      "config", po::value<std::string>(), "read further options from an INI job file (jobs/*.cfg)");
  po::options_description all;
  all.add(desc).add(common);

  ParseResult result;
  try {
    const std::vector<std::string> args = canonical_args(argc, argv, all);
    auto parser = po::command_line_parser(std::vector<std::string>(args.begin() + (args.empty() ? 0 : 1),
                                                                   args.end()))
                      .options(all);
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
      std::istringstream in(canonical_ini(file, all));
      // allow_unregistered = false: a typo in a job file stops the run here.
      po::store(po::parse_config_file(in, all, false), result.vm);
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
