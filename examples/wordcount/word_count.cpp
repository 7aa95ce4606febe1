#include "word_count.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace wordcount {
namespace {

bool isWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'' ||
         c >= 0x80;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

void countChunk(std::string_view text, std::string& carry, bool last, WordCounts& counts) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!isWordByte(static_cast<unsigned char>(text[i]))) {
      if (!carry.empty()) ++counts[std::exchange(carry, {})];
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && isWordByte(static_cast<unsigned char>(text[end])))
      ++end;
    for (std::size_t k = i; k < end; ++k)
      carry.push_back(lower(text[k]));
    if (end < text.size()) ++counts[std::exchange(carry, {})];
    i = end;
  }
  if (last && !carry.empty()) ++counts[std::exchange(carry, {})];
}

plexus::Result<void> countFile(const std::string& path, WordCounts& counts) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return plexus::fail("cannot open '" + path + "': " + std::strerror(errno));
  std::string buffer(1 << 16, '\0');
  std::string carry;
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return plexus::fail("cannot read '" + path + "': " + std::strerror(error));
    }
    countChunk(std::string_view(buffer.data(), static_cast<std::size_t>(n)), carry, n == 0, counts);
    if (n == 0) break;
  }
  ::close(fd);
  return {};
}

std::string serialize(const WordCounts& counts) {
  std::string out;
  for (const auto& [word, count] : counts) {
    out += word;
    out += ' ';
    out += std::to_string(count);
    out += '\n';
  }
  return out;
}

plexus::Result<WordCounts> parse(std::string_view text) {
  WordCounts counts;
  std::size_t line = 0;
  while (!text.empty()) {
    ++line;
    std::size_t newline = text.find('\n');
    std::string_view entry = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    std::size_t space = entry.rfind(' ');
    if (space == 0 || space == std::string_view::npos || space + 1 == entry.size())
      return plexus::fail("line " + std::to_string(line) + " is not 'word count'");
    std::uint64_t count = 0;
    for (char c : entry.substr(space + 1)) {
      if (c < '0' || c > '9') return plexus::fail("line " + std::to_string(line) + ": bad count");
      count = count * 10 + static_cast<std::uint64_t>(c - '0');
    }
    counts[std::string(entry.substr(0, space))] += count;
  }
  return counts;
}

void merge(WordCounts& into, const WordCounts& from) {
  for (const auto& [word, count] : from)
    into[word] += count;
}

std::uint64_t total(const WordCounts& counts) {
  std::uint64_t sum = 0;
  for (const auto& [word, count] : counts)
    sum += count;
  return sum;
}

std::vector<std::pair<std::string, std::uint64_t>> top(const WordCounts& counts, std::size_t n) {
  std::vector<std::pair<std::string, std::uint64_t>> all(counts.begin(), counts.end());
  auto before = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  n = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), before);
  all.resize(n);
  return all;
}

std::vector<std::vector<std::string>> splitBySize(const std::vector<std::string>& files,
                                                  std::size_t shares) {
  std::vector<std::pair<std::uintmax_t, std::string>> sized;
  for (const auto& file : files) {
    std::error_code error;
    std::uintmax_t size = std::filesystem::file_size(file, error);
    sized.emplace_back(error ? 0 : size, file);
  }
  std::ranges::sort(sized, std::greater<>());
  shares = std::max<std::size_t>(1, std::min(shares, files.size()));
  std::vector<std::vector<std::string>> groups(shares);
  std::vector<std::uintmax_t> bytes(shares, 0);
  for (const auto& [size, file] : sized) {
    std::size_t least = static_cast<std::size_t>(std::ranges::min_element(bytes) - bytes.begin());
    groups[least].push_back(file);
    bytes[least] += size;
  }
  return groups;
}

}  // namespace wordcount
