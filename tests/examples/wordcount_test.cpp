// examples/wordcount through a real master and two real agents: the distributed
// count (map tasks on both agents, partial counts merged by the scheduler) agrees
// word for word with a plain single-process count of the same files, made here by
// an independent implementation, including words cut at read-chunk boundaries,
// case folding, apostrophes, UTF-8 and files without a final newline.
#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"

namespace plexus::testing {
namespace {

using Counts = std::map<std::string, long>;

// The reference: one process, the simplest code that follows the example's rules.
Counts referenceCount(const std::vector<std::string>& texts) {
  Counts counts;
  for (const auto& text : texts) {
    std::string word;
    for (char c : text + " ") {
      unsigned char u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || c == '\'' || u >= 0x80) {
        word += static_cast<char>(std::tolower(u));
      } else if (!word.empty()) {
        ++counts[word];
        word.clear();
      }
    }
  }
  return counts;
}

// Deterministic text: a Zipf-like mix of a vocabulary with punctuation and case.
std::string makeText(unsigned seed, std::size_t words) {
  static const std::vector<std::string> vocabulary = {
      "the",     "The",   "a",    "of",        "and",     "plexus", "Mesos",
      "agent's", "offer", "task", "FRAMEWORK", "naïve",   "café",   "déjà-vu",
      "x1",      "42",    "it's", "don't",     "o'clock", "zeta"};
  std::string text;
  unsigned state = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < words; ++i) {
    state = state * 1103515245u + 12345u;
    std::size_t pick = (state >> 16) % 1000;
    std::size_t index = std::min<std::size_t>(vocabulary.size() - 1, pick * pick / 50000);
    text += vocabulary[index];
    text += (state >> 8) % 13 == 0 ? ".\n" : ((state >> 9) % 7 == 0 ? ", " : " ");
  }
  return text;
}

TEST(WordCountTest, AgreesWithASingleProcessCount) {
  TempDir dir;
  std::vector<std::string> texts;
  std::vector<std::string> files;
  for (unsigned i = 0; i < 7; ++i)
    texts.push_back(makeText(i, 2000 + 3000 * i));
  // A word across the executor's 64 KiB read boundary, no final newline.
  texts.push_back(std::string(65535, ' ') + "boundaryword tail");
  texts.push_back("");
  texts.push_back("UPPER upper Upper ''' ' it's\tIT'S\n\n--");
  for (std::size_t i = 0; i < texts.size(); ++i)
    files.push_back(dir.write("input-" + std::to_string(i) + ".txt", texts[i]));

  Process master(
      "plexus-master",
      {"--port=0", "--work_dir=" + (dir.path() / "master").string(), "--allocation_interval=50ms"},
      dir.path());
  int masterPort = master.waitForPort();
  ASSERT_GT(masterPort, 0) << master.err();
  std::vector<std::unique_ptr<Process>> agents;
  for (int i = 0; i < 2; ++i) {
    agents.push_back(std::make_unique<Process>(
        "plexus-agent",
        std::vector<std::string>{
            "--port=0", "--master=127.0.0.1:" + std::to_string(masterPort),
            "--work_dir=" + (dir.path() / ("agent" + std::to_string(i))).string(),
            "--resources=cpus:2;mem:1024"},
        dir.path()));
    ASSERT_TRUE(agents.back()->waitForLog("Registered with master")) << agents.back()->err();
  }

  std::vector<std::string> args = {"--master=127.0.0.1:" + std::to_string(masterPort),
                                   "--parallelism=4", "--top=1000", "--timeout=90secs",
                                   "--task_resources=cpus:0.5;mem:32"};
  args.insert(args.end(), files.begin(), files.end());
  Process wordcount("plexus-wordcount", args, dir.path());
  ASSERT_EQ(wordcount.wait(std::chrono::seconds(120)), 0) << wordcount.out() << wordcount.err();
  const std::string out = wordcount.out();

  const Counts expected = referenceCount(texts);
  long expectedTotal = 0;
  for (const auto& [word, count] : expected)
    expectedTotal += count;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(out, match, std::regex(R"(Total: (\d+) words, (\d+) distinct)")))
      << out;
  EXPECT_EQ(std::stol(match[1].str()), expectedTotal) << out;
  EXPECT_EQ(std::stoul(match[2].str()), expected.size()) << out;

  // Every word of the reference, with its count, is in the printed table.
  Counts printed;
  std::istringstream lines(out);
  const std::regex row(R"(^\s*\d+\s+(\S+)\s+(\d+)$)");
  for (std::string line; std::getline(lines, line);)
    if (std::regex_match(line, match, row)) printed[match[1].str()] = std::stol(match[2].str());
  EXPECT_EQ(printed, expected) << out;
  EXPECT_EQ(expected.at("boundaryword"), 1);
  EXPECT_NE(out.find("Counted with 4 map tasks"), std::string::npos) << out;
}

}  // namespace
}  // namespace plexus::testing
