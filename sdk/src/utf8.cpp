#include <vector>

#include <google/protobuf/descriptor.h>

#include <plexus/utf8.hpp>

namespace plexus {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::size_t utf8SequenceLength(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](std::size_t i) {
    return i < text.size() && (byte(i) & 0xc0) == 0x80;
  };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return continuation(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (b0 == 0xe0 && byte(1) < 0xa0) return 0;   // overlong
    if (b0 == 0xed && byte(1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (b0 == 0xf0 && byte(1) < 0x90) return 0;   // overlong
    if (b0 == 0xf4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

bool isValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    // ASCII runs are the common case: skip them a byte at a time without the call.
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8SequenceLength(text.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {

// Walks the set fields of a message depth first; the path is rendered only for the
// field that fails. Protobuf's parsers bound a message's depth (100 by default for
// the binary form, kJsonMaxDepth for ours), so the recursion is bounded too.
class Utf8Walker {
 public:
  std::optional<std::string> firstInvalid(const Message& message) {
    const Reflection* reflection = message.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    reflection->ListFields(message, &fields);
    for (const FieldDescriptor* field : fields) {
      if (field->type() != FieldDescriptor::TYPE_STRING &&
          field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE)
        continue;
      path_.push_back({field->name(), -1});
      if (auto found = checkField(message, *reflection, field)) return found;
      path_.pop_back();
    }
    return std::nullopt;
  }

 private:
  struct Segment {
    std::string_view name;
    int index;  // -1 for a singular field
  };

  std::optional<std::string> checkField(const Message& message, const Reflection& reflection,
                                        const FieldDescriptor* field) {
    const bool text = field->type() == FieldDescriptor::TYPE_STRING;
    if (!field->is_repeated()) {
      if (text) {
        std::string scratch;
        if (!isValidUtf8(reflection.GetStringReference(message, field, &scratch)))
          return rendered();
        return std::nullopt;
      }
      return firstInvalid(reflection.GetMessage(message, field));
    }
    const int size = reflection.FieldSize(message, field);
    for (int i = 0; i < size; ++i) {
      path_.back().index = i;
      if (text) {
        std::string scratch;
        if (!isValidUtf8(reflection.GetRepeatedStringReference(message, field, i, &scratch)))
          return rendered();
      } else if (auto found = firstInvalid(reflection.GetRepeatedMessage(message, field, i))) {
        return found;
      }
    }
    return std::nullopt;
  }

  std::string rendered() const {
    std::string out;
    for (const Segment& segment : path_) {
      if (!out.empty()) out.push_back('.');
      out.append(segment.name);
      if (segment.index >= 0) out += "[" + std::to_string(segment.index) + "]";
    }
    return out;
  }

  std::vector<Segment> path_;
};

}  // namespace

std::optional<std::string> invalidUtf8Field(const Message& message) {
  return Utf8Walker().firstInvalid(message);
}

}  // namespace plexus
