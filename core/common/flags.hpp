// Flags: a daemon's command line, with every flag also readable from the environment.
//
// Built on Boost.Program_options. Each flag `--some_flag` may instead be given as
// the environment variable PLEXUS_SOME_FLAG; the command line wins when both are
// set. `--help` prints every flag with its default. A flag matches by its full name
// only (no prefix guessing, as in Mesos). parse() never exits the process: it returns
// the error (an unknown flag, naming it, or a bad value) for main() to print.
//
//   Flags flags("plexus-master", "Usage: plexus-master [options]");
//   flags.add()("port", po::value<int>(&port)->default_value(5050), "Port to listen on");
//   auto parsed = flags.parse(argc, argv);
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <boost/program_options.hpp>

#include <plexus/error.hpp>

namespace plexus {

class Flags {
 public:
  Flags(std::string program, std::string usage);

  // Adds flags: `flags.add()("name", po::value<T>(&x)->default_value(v), "doc")`.
  boost::program_options::options_description_easy_init add();

  // Adds a switch that takes no value and is not read from the environment.
  void addSwitch(const std::string& name, const std::string& doc);

  // Parses argv then the environment (PLEXUS_<FLAG>) and stores the values.
  [[nodiscard]] Result<void> parse(int argc, const char* const argv[]);

  // True when the switch or flag was given (on the command line or in the environment).
  bool given(std::string_view name) const;

  // The --help text.
  std::string help() const;

  // Every flag with its effective value, as " --name=value" (for the start-up log).
  std::string effectiveValues() const;

  // Every flag with its effective value, by name (for /flags), secrets redacted by
  // plexus::redactFlag: inline JSON given to --credential or --credentials is shown as
  // "(inline JSON, not shown)", a URL's password (zk://user:pass@...) as "***".
  std::map<std::string, std::string> values() const;

 private:
  std::string program_;
  std::string usage_;
  boost::program_options::options_description options_;
  boost::program_options::options_description switches_;
  boost::program_options::variables_map values_;
};

}  // namespace plexus
