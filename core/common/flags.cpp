#include "common/flags.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <boost/any.hpp>

#include <plexus/redact.hpp>

namespace plexus {
namespace po = boost::program_options;

namespace {

std::string toEnvironmentName(const std::string& flag) {
  std::string name = "PLEXUS_";
  for (char c : flag)
    name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return name;
}

// Prints a stored flag value of the types the daemons use.
std::string valueText(const boost::any& value) {
  if (auto* s = boost::any_cast<std::string>(&value)) return *s;
  if (auto* i = boost::any_cast<int>(&value)) return std::to_string(*i);
  if (auto* u = boost::any_cast<unsigned>(&value)) return std::to_string(*u);
  if (auto* d = boost::any_cast<double>(&value)) {
    std::ostringstream out;
    out << *d;
    return out.str();
  }
  if (auto* b = boost::any_cast<bool>(&value)) return *b ? "true" : "false";
  return "?";
}

}  // namespace

Flags::Flags(std::string program, std::string usage)
    : program_(std::move(program)),
      usage_(std::move(usage)),
      options_("Flags (each also from the environment as PLEXUS_<FLAG>, e.g. PLEXUS_PORT)", 100,
               50),
      switches_("Commands", 100, 50) {
  switches_.add_options()("help", "Print this help and exit.");
}

po::options_description_easy_init Flags::add() {
  return options_.add_options();
}

void Flags::addSwitch(const std::string& name, const std::string& doc) {
  switches_.add_options()(name.c_str(), doc.c_str());
}

Result<void> Flags::parse(int argc, const char* const argv[]) {
  po::options_description all;
  all.add(switches_).add(options_);
  try {
    // `--name=` sets an empty value, as in Mesos; Boost.Program_options refuses an
    // empty value after '=', but takes one as the next argument.
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg.size() > 3 && arg.starts_with("--") && arg.ends_with('=') &&
          arg.find('=') == arg.size() - 1) {
        args.emplace_back(arg.substr(0, arg.size() - 1));
        args.emplace_back();
      } else {
        args.emplace_back(arg);
      }
    }
    // Only a flag's full name matches: Boost's default style also takes an unambiguous
    // prefix (`--recover` for --recovery_timeout), which would run a flag the operator
    // did not name. Mesos's flags match whole names only.
    constexpr int kExactNames =
        po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).style(kExactNames).run(), values_);
    // The environment fills in what the command line left unset.
    std::vector<std::string> known;
    for (const auto& option : options_.options())
      known.push_back(option->long_name());
    po::store(po::parse_environment(options_,
                                    [&known](const std::string& variable) -> std::string {
                                      for (const std::string& flag : known) {
                                        if (variable == toEnvironmentName(flag)) return flag;
                                      }
                                      return "";
                                    }),
              values_);
    po::notify(values_);
  } catch (const po::error& e) {
    return fail(std::string(e.what()) + " (see " + program_ + " --help)");
  }
  return {};
}

bool Flags::given(std::string_view name) const {
  auto it = values_.find(std::string(name));
  return it != values_.end() && !it->second.defaulted();
}

std::string Flags::help() const {
  std::ostringstream out;
  out << usage_ << "\n\n" << switches_ << "\n" << options_;
  return out.str();
}

std::map<std::string, std::string> Flags::values() const {
  std::map<std::string, std::string> out;
  for (const auto& option : options_.options()) {
    auto it = values_.find(option->long_name());
    if (it == values_.end()) continue;
    // Secrets never reach the log, /flags, /state or GET_FLAGS (plexus/redact.hpp).
    const std::string& name = option->long_name();
    out[name] = redactFlag(name, valueText(it->second.value()));
  }
  return out;
}

std::string Flags::effectiveValues() const {
  std::ostringstream out;
  for (const auto& [name, value] : values())
    out << " --" << name << "=" << value;
  return out.str();
}

}  // namespace plexus
