#include <cstdint>
#include <random>

#include <plexus/uuid.hpp>

namespace plexus {

std::string randomUuidBytes() {
  thread_local std::mt19937_64 engine{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                      std::random_device{}()};
  std::string bytes(16, '\0');
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    std::uint64_t value = engine();
    for (std::size_t j = 0; j < 8; ++j)
      bytes[i + j] = static_cast<char>(value >> (8 * j));
  }
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return bytes;
}

std::string uuidToString(std::string_view bytes) {
  if (bytes.size() != 16) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    auto byte = static_cast<unsigned char>(bytes[i]);
    text += kHex[byte >> 4];
    text += kHex[byte & 0xf];
  }
  return text;
}

std::string randomUuidString() {
  return uuidToString(randomUuidBytes());
}

}  // namespace plexus
