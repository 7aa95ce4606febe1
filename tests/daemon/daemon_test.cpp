// Runs the real daemons: flags, --help, --list-modules, start-up refusals, /health.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <signal.h>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include "process.hpp"

namespace {

namespace fs = std::filesystem;
const std::string kFixtures = PLEXUS_FIXTURE_DIR;

using plexus::testing::Process;
using plexus::testing::TempDir;

// A blocking HTTP/1.1 GET on 127.0.0.1; returns the whole response text.
std::string httpGet(int port, const std::string& path) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string response;
  boost::system::error_code ec;
  char buffer[4096];
  for (;;) {
    size_t n = socket.read_some(boost::asio::buffer(buffer), ec);
    response.append(buffer, n);
    if (ec) break;
  }
  return response;
}

std::string modulesJson(const std::string& module, const std::string& parameters = "[]",
                        const std::string& file = kFixtures + "/libfixture_good_modules.so") {
  return R"({"libraries":[{"file":")" + file + R"(","modules":[{"name":")" + module +
         R"(","parameters":)" + parameters + "}]}]}";
}

TEST(Daemon, HelpListsEveryFlagWithItsDefault) {
  TempDir dir;
  for (const auto& [binary, port] :
       {std::pair{"plexus-master", "5050"}, {"plexus-agent", "5051"}}) {
    Process process(binary, {"--help"}, dir.path());
    ASSERT_EQ(process.wait(), 0) << process.err();
    std::string help = process.out();
    for (const char* flag : {"--ip", "--port", "--hostname", "--work_dir", "--logging_level",
                             "--modules ", "--modules_dir", "--module_path", "--hooks",
                             "--master_detector", "--list-modules", "PLEXUS_"}) {
      EXPECT_NE(help.find(flag), std::string::npos) << binary << " --help lacks " << flag;
    }
    EXPECT_NE(help.find("(=" + std::string(port) + ")"), std::string::npos) << help;
  }
}

TEST(Daemon, ListModulesShowsKindNameVersionAndParameters) {
  TempDir dir;
  std::string config =
      dir.write("modules.json", modulesJson("fixture_hook", R"([{"key":"label","value":"blue"}])"));
  Process process("plexus-master", {"--modules=" + config, "--list-modules"}, dir.path());
  ASSERT_EQ(process.wait(), 0) << process.err();
  std::string out = process.out();
  EXPECT_NE(out.find("Loaded modules (1):"), std::string::npos) << out;
  EXPECT_NE(out.find("Hook fixture_hook 1.2.3"), std::string::npos) << out;
  EXPECT_NE(out.find("label (string, default \"fixture\") = \"blue\""), std::string::npos) << out;
  EXPECT_NE(out.find("interval (duration, default \"5secs\")"), std::string::npos) << out;
  EXPECT_NE(out.find("Value of the label the hook adds."), std::string::npos) << out;
}

TEST(Daemon, ModulesFromTheEnvironment) {
  TempDir dir;
  std::string config = dir.write("modules.json", modulesJson("fixture_isolator"));
  Process process("plexus-agent", {"--list-modules"}, dir.path(),
                  {"PLEXUS_MODULES=file://" + config});
  ASSERT_EQ(process.wait(), 0) << process.err();
  EXPECT_NE(process.out().find("Isolator fixture_isolator 0.1.0"), std::string::npos);
}

// `--flag=` sets an empty value, as Mesos's flags do (Boost.Program_options alone
// refuses it): an agent without isolators starts.
TEST(Daemon, EmptyFlagValuesAreAccepted) {
  TempDir dir;
  Process agent(
      "plexus-agent",
      {"--port=0", "--isolation=", "--hooks=", "--work_dir=" + (dir.path() / "agent").string()},
      dir.path());
  ASSERT_GT(agent.waitForPort(), 0) << agent.err();
  EXPECT_NE(agent.err().find(" --isolation= "), std::string::npos) << agent.err();
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait(), 0) << agent.err();
}

struct Refusal {
  std::string name;
  std::vector<std::string> args;  // ${CONFIG} is replaced by the config file's path
  std::string json;
  std::vector<std::string> expected;  // substrings of the last stderr line
};

class DaemonRefuses : public testing::TestWithParam<Refusal> {};

TEST_P(DaemonRefuses, ExitsNonZeroNamingFileModuleAndReason) {
  TempDir dir;
  const Refusal& refusal = GetParam();
  std::string config = dir.write("modules.json", refusal.json);
  std::vector<std::string> args;
  for (std::string arg : refusal.args) {
    if (auto at = arg.find("${CONFIG}"); at != std::string::npos) arg.replace(at, 9, config);
    args.push_back(arg);
  }
  Process process("plexus-master", args, dir.path());
  EXPECT_EQ(process.wait(), 1);
  std::string last = process.lastErrLine();
  EXPECT_EQ(last.rfind("plexus-master: ", 0), 0u) << last;
  for (std::string expected : refusal.expected) {
    if (auto at = expected.find("${CONFIG}"); at != std::string::npos)
      expected.replace(at, 9, config);
    EXPECT_NE(last.find(expected), std::string::npos)
        << "missing '" << expected << "' in: " << last;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Master, DaemonRefuses,
    testing::Values(
        Refusal{
            "MissingLibrary",
            {"--modules=${CONFIG}"},
            modulesJson("gone", "[]", "/nonexistent/libgone.so"),
            {"${CONFIG}", "library '/nonexistent/libgone.so'", "module 'gone'", "file not found"}},
        Refusal{
            "WrongKind",
            {"--modules=${CONFIG}", "--hooks=fixture_isolator"},
            modulesJson("fixture_isolator"),
            {"${CONFIG}", "libfixture_good_modules.so", "module 'fixture_isolator'",
             "kind mismatch: --hooks needs a Hook module, but 'fixture_isolator' is an Isolator"}},
        Refusal{"UnknownParameter",
                {"--modules=${CONFIG}"},
                modulesJson("fixture_hook", R"([{"key":"colour","value":"red"}])"),
                {"${CONFIG}", "libfixture_good_modules.so", "module 'fixture_hook'",
                 "unknown parameter 'colour'"}},
        Refusal{"IllTypedParameter",
                {"--modules=file://${CONFIG}"},
                modulesJson("fixture_hook", R"([{"key":"count","value":"many"}])"),
                {"${CONFIG}", "module 'fixture_hook'", "parameter 'count' must be an integer"}},
        Refusal{"FactoryError",
                {"--modules=${CONFIG}", "--hooks=fixture_hook"},
                modulesJson("fixture_hook", R"([{"key":"fail","value":"true"}])"),
                {"${CONFIG}", "module 'fixture_hook'", "create() failed: the operator asked"}},
        Refusal{"AbiMismatch",
                {"--modules=${CONFIG}"},
                modulesJson("m", "[]", kFixtures + "/libfixture_abi_mismatch.so"),
                {"${CONFIG}", "libfixture_abi_mismatch.so", "module 'm'", "ABI tag mismatch"}},
        Refusal{"MalformedJson",
                {"--modules=${CONFIG}"},
                "{\"libraries\": [\n  {\"file\": }]}",
                {"${CONFIG}: malformed JSON at line 2, column 12"}},
        Refusal{"ModulesAndModulesDir",
                {"--modules=${CONFIG}", "--modules_dir=/tmp"},
                "{}",
                {"only one of --modules or --modules_dir should be specified"}},
        Refusal{"UnknownFlag", {"--no_such_flag=1"}, "{}", {"no_such_flag", "--help"}}),
    [](const testing::TestParamInfo<Refusal>& info) { return info.param.name; });

// --modules_dir: the same module entry in two files is refused naming the second
// file and the module (it was silently accepted), and a folder named like a config
// (x.json/) is refused as a folder (it was reported as malformed JSON).
TEST(Daemon, ModulesDirRefusesADuplicateEntryAndAFolder) {
  TempDir dir;
  fs::create_directories(dir.path() / "twice");
  std::string first = dir.write("twice/a.json", modulesJson("fixture_hook"));
  std::string second = dir.write("twice/b.json", modulesJson("fixture_hook"));
  Process twice("plexus-master", {"--modules_dir=" + (dir.path() / "twice").string()}, dir.path());
  EXPECT_EQ(twice.wait(), 1);
  std::string last = twice.lastErrLine();
  for (const std::string& expected : {second, std::string("module 'fixture_hook'"),
                                      std::string("duplicate module entry"), "(" + first + ")"}) {
    EXPECT_NE(last.find(expected), std::string::npos) << "missing '" << expected << "' in " << last;
  }

  fs::create_directories(dir.path() / "folder" / "x.json");
  Process folder("plexus-master", {"--modules_dir=" + (dir.path() / "folder").string()},
                 dir.path());
  EXPECT_EQ(folder.wait(), 1);
  last = folder.lastErrLine();
  EXPECT_NE(last.find("'" + (dir.path() / "folder" / "x.json").string() +
                      "' is a directory, not a modules file"),
            std::string::npos)
      << last;
  EXPECT_EQ(last.find("malformed"), std::string::npos) << last;
}

TEST(Daemon, MasterAndAgentServeHealthAndVersionAndStopOnSigterm) {
  TempDir dir;
  std::string config = dir.write("modules.json", modulesJson("fixture_hook"));
  for (const char* binary : {"plexus-master", "plexus-agent"}) {
    std::vector<std::string> args{"--port=0", "--work_dir=" + (dir.path() / binary).string(),
                                  "--modules=" + config, "--hooks=fixture_hook"};
    Process process(binary, args, dir.path());
    int port = process.waitForPort();
    ASSERT_GT(port, 0) << process.err();

    std::string health = httpGet(port, "/health");
    EXPECT_EQ(health.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << health;
    std::string version = httpGet(port, "/version");
    EXPECT_NE(version.find("\"version\":\"1.11.0\""), std::string::npos) << version;
    EXPECT_NE(version.find("\"plexus_version\":\"0.1.0\""), std::string::npos) << version;
    EXPECT_NE(httpGet(port, "/nonexistent").find("HTTP/1.1 404"), std::string::npos);

    process.signal(SIGTERM);
    EXPECT_EQ(process.wait(), 0) << process.err();
    std::string log = process.err();
    EXPECT_NE(log.find("Loaded Hook module 'fixture_hook' 1.2.3 from"), std::string::npos) << log;
    EXPECT_NE(log.find("Using module 'fixture_hook' for --hooks"), std::string::npos) << log;
    EXPECT_NE(log.find("stopped"), std::string::npos) << log;
  }
}

}  // namespace

namespace {

// --log_dir: every line on stderr also goes to <log_dir>/<program>.log, rotated past
// --max_log_size into .1 (the newest) ... .<max_log_files>; older ones are removed.
// (512 bytes: a start-up and a stop log a few KB.)
TEST(Daemon, LogDirKeepsRotatedLogFilesBesidesStderr) {
  TempDir dir;
  for (const std::string binary : {"plexus-master", "plexus-agent"}) {
    fs::path logs = dir.path() / (binary + "-logs");
    Process process(binary,
                    {"--port=0", "--work_dir=" + (dir.path() / binary).string(),
                     "--log_dir=" + logs.string(), "--max_log_size=512B", "--max_log_files=2"},
                    dir.path());
    ASSERT_GT(process.waitForPort(), 0) << process.err();
    process.signal(SIGTERM);
    ASSERT_EQ(process.wait(), 0) << process.err();
    std::string err = process.err();
    ASSERT_GT(err.size(), 3u * 512u) << "too little logged to rotate: " << err;

    fs::path current = logs / (binary + ".log");
    std::string kept;
    for (const fs::path& file :
         {fs::path(current.string() + ".2"), fs::path(current.string() + ".1"), current}) {
      ASSERT_TRUE(fs::exists(file)) << file;
      EXPECT_LE(fs::file_size(file), 512u) << file;
      std::cout << "[ sizes    ] " << file.filename().string() << ": " << fs::file_size(file)
                << " bytes\n";
      kept += plexus::testing::readFile(file);
    }
    EXPECT_FALSE(fs::exists(current.string() + ".3"));
    // The newest lines, exactly as on stderr, ending with the last one.
    EXPECT_TRUE(err.ends_with(kept)) << "kept:\n" << kept << "\nstderr:\n" << err;
    EXPECT_NE(kept.find(binary + " stopped"), std::string::npos) << kept;
  }
}

TEST(Daemon, LogDirFlagsAreChecked) {
  TempDir dir;
  Process size("plexus-master",
               {"--port=0", "--log_dir=" + (dir.path() / "logs").string(), "--max_log_size=big"},
               dir.path());
  EXPECT_EQ(size.wait(), 1);
  EXPECT_NE(size.lastErrLine().find("--max_log_size"), std::string::npos) << size.err();
  dir.write("file", "not a folder");
  Process file("plexus-agent", {"--port=0", "--log_dir=" + (dir.path() / "file").string()},
               dir.path());
  EXPECT_EQ(file.wait(), 1);
  EXPECT_NE(file.lastErrLine().find("--log_dir"), std::string::npos) << file.err();
}

}  // namespace
