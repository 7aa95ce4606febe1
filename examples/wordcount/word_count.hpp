// Word counting for examples/wordcount: what a map task computes, how its partial
// counts travel to the scheduler, and how the reduce step merges them.
//
// A word is a maximal run of ASCII letters, digits and apostrophes, or of bytes
// >= 0x80 (so UTF-8 words stay whole), with ASCII letters lowercased; everything
// else separates words. Counts travel as text, one "word count" line per word
// (words hold no whitespace, so the format is unambiguous).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <plexus/error.hpp>

namespace wordcount {

using WordCounts = std::unordered_map<std::string, std::uint64_t>;

// Adds the words of the file at `path` to `counts`.
[[nodiscard]] plexus::Result<void> countFile(const std::string& path, WordCounts& counts);

// Adds the words of `text` to `counts`; `carry` holds a word cut at the end of the
// previous chunk and is completed by this one (flush it with an empty `text` and
// `last` true).
void countChunk(std::string_view text, std::string& carry, bool last, WordCounts& counts);

std::string serialize(const WordCounts& counts);
[[nodiscard]] plexus::Result<WordCounts> parse(std::string_view text);

void merge(WordCounts& into, const WordCounts& from);
std::uint64_t total(const WordCounts& counts);

// The `n` most frequent words, most frequent first, ties in alphabetical order.
std::vector<std::pair<std::string, std::uint64_t>> top(const WordCounts& counts, std::size_t n);

// Splits `files` into at most `shares` groups of about equal total size
// (largest file first, each into the group with the fewest bytes so far).
std::vector<std::vector<std::string>> splitBySize(const std::vector<std::string>& files,
                                                  std::size_t shares);

}  // namespace wordcount
