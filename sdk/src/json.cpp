// JSON <-> protobuf by Mesos's rules; see plexus/json.hpp for the rules themselves.
//
// Writing walks the message by reflection straight into a std::string. Reading
// parses with Boost.JSON into a DOM (bounded by kJsonMaxDepth, so nothing below
// recurses deeper than that), then walks the DOM by reflection, keeping the field
// path only as a stack of segments that is rendered when an error needs it.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <plexus/internal/base64.hpp>
#include <plexus/json.hpp>
#include <plexus/utf8.hpp>

namespace plexus {

namespace bj = boost::json;
using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

// ---------------------------------------------------------------------------
// Writing.

void appendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8SequenceLength(s.substr(i));
      if (n == 0) {
        out->append("\xef\xbf\xbd");  // U+FFFD REPLACEMENT CHARACTER
        ++i;
      } else {
        out->append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

template <typename Integer>
void appendInteger(Integer value, std::string* out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

// Shortest digits that read back to the same value; plain notation between 1e-7
// and 1e21 (as JavaScript prints numbers) with ".0" on whole numbers (as stout
// does), exponent notation outside.
template <typename Float>
void appendFloating(Float value, std::string* out) {
  if (std::isnan(value)) {
    out->append("\"NaN\"");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buffer[128];
  const Float magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= Float(1e-7) && magnitude < Float(1e21));
  const auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value,
                    plain ? std::chars_format::fixed : std::chars_format::scientific);
  const std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
  out->append(text);
  if (plain && text.find('.') == std::string_view::npos) out->append(".0");
}

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void message(const Message& message) {
    const Descriptor* descriptor = message.GetDescriptor();
    const Reflection* reflection = message.GetReflection();
    out_->push_back('{');
    bool first = true;
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      if (!shouldWrite(message, *reflection, field)) continue;
      if (!first) out_->push_back(',');
      first = false;
      appendQuoted(field->name(), out_);
      out_->push_back(':');
      if (field->is_map()) {
        map(message, *reflection, field);
      } else if (field->is_repeated()) {
        out_->push_back('[');
        const int size = reflection->FieldSize(message, field);
        for (int index = 0; index < size; ++index) {
          if (index > 0) out_->push_back(',');
          value(message, *reflection, field, index);
        }
        out_->push_back(']');
      } else {
        value(message, *reflection, field, -1);
      }
    }
    out_->push_back('}');
  }

 private:
  static bool shouldWrite(const Message& message, const Reflection& reflection,
                          const FieldDescriptor* field) {
    if (field->is_repeated()) return reflection.FieldSize(message, field) > 0;
    if (reflection.HasField(message, field)) return true;
    // stout writes the explicit default of an unset, non-deprecated field. A oneof
    // member is left out: writing several defaults of one oneof would be read back
    // as whichever came last.
    return field->has_default_value() && !field->options().deprecated() &&
           field->containing_oneof() == nullptr;
  }

  // Writes the singular field (index < 0) or one element of the repeated field.
  void value(const Message& message, const Reflection& r, const FieldDescriptor* field, int index) {
    const bool one = index < 0;
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        appendInteger(one ? r.GetInt32(message, field) : r.GetRepeatedInt32(message, field, index),
                      out_);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        appendInteger(one ? r.GetInt64(message, field) : r.GetRepeatedInt64(message, field, index),
                      out_);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        appendInteger(
            one ? r.GetUInt32(message, field) : r.GetRepeatedUInt32(message, field, index), out_);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        appendInteger(
            one ? r.GetUInt64(message, field) : r.GetRepeatedUInt64(message, field, index), out_);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        appendFloating(
            one ? r.GetDouble(message, field) : r.GetRepeatedDouble(message, field, index), out_);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        appendFloating(one ? r.GetFloat(message, field) : r.GetRepeatedFloat(message, field, index),
                       out_);
        break;
      case FieldDescriptor::CPPTYPE_BOOL: {
        const bool b = one ? r.GetBool(message, field) : r.GetRepeatedBool(message, field, index);
        out_->append(b ? "true" : "false");
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumValueDescriptor* e =
            one ? r.GetEnum(message, field) : r.GetRepeatedEnum(message, field, index);
        appendQuoted(e->name(), out_);
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = one ? r.GetStringReference(message, field, &scratch)
                                   : r.GetRepeatedStringReference(message, field, index, &scratch);
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          out_->push_back('"');
          appendBase64(s, out_);
          out_->push_back('"');
        } else {
          appendQuoted(s, out_);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        this->message(one ? r.GetMessage(message, field)
                          : r.GetRepeatedMessage(message, field, index));
        break;
    }
  }

  // A map is a repeated entry message {key = 1; value = 2}; written as an object
  // with its entries sorted by key, so equal maps give equal JSON.
  void map(const Message& message, const Reflection& r, const FieldDescriptor* field) {
    const FieldDescriptor* keyField = field->message_type()->map_key();
    const FieldDescriptor* valueField = field->message_type()->map_value();
    const int size = r.FieldSize(message, field);
    std::vector<const Message*> entries;
    entries.reserve(static_cast<std::size_t>(size));
    for (int i = 0; i < size; ++i)
      entries.push_back(&r.GetRepeatedMessage(message, field, i));
    std::sort(entries.begin(), entries.end(),
              [keyField](const Message* a, const Message* b) { return keyLess(*a, *b, keyField); });

    out_->push_back('{');
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const Message& entry = *entries[i];
      const Reflection& er = *entry.GetReflection();
      if (i > 0) out_->push_back(',');
      std::string key;
      switch (keyField->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          appendInteger(er.GetInt32(entry, keyField), &key);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          appendInteger(er.GetInt64(entry, keyField), &key);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          appendInteger(er.GetUInt32(entry, keyField), &key);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          appendInteger(er.GetUInt64(entry, keyField), &key);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          key = er.GetBool(entry, keyField) ? "true" : "false";
          break;
        default:
          key = er.GetString(entry, keyField);
          break;  // protoc allows no other key types
      }
      appendQuoted(key, out_);
      out_->push_back(':');
      value(entry, er, valueField, -1);
    }
    out_->push_back('}');
  }

  static bool keyLess(const Message& a, const Message& b, const FieldDescriptor* key) {
    const Reflection& ra = *a.GetReflection();
    const Reflection& rb = *b.GetReflection();
    switch (key->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return ra.GetInt32(a, key) < rb.GetInt32(b, key);
      case FieldDescriptor::CPPTYPE_INT64:
        return ra.GetInt64(a, key) < rb.GetInt64(b, key);
      case FieldDescriptor::CPPTYPE_UINT32:
        return ra.GetUInt32(a, key) < rb.GetUInt32(b, key);
      case FieldDescriptor::CPPTYPE_UINT64:
        return ra.GetUInt64(a, key) < rb.GetUInt64(b, key);
      case FieldDescriptor::CPPTYPE_BOOL:
        return ra.GetBool(a, key) < rb.GetBool(b, key);
      default:
        return ra.GetString(a, key) < rb.GetString(b, key);
    }
  }

  std::string* out_;
};

// ---------------------------------------------------------------------------
// Parsing JSON text.

// Boost.JSON's own handler, except that doubles are converted from their text with
// std::from_chars, which rounds correctly (Boost 1.81's conversion may be an ulp
// off, and written doubles must read back exactly).
struct PreciseHandler {
  static constexpr std::size_t max_object_size = bj::object::max_size();
  static constexpr std::size_t max_array_size = bj::array::max_size();
  static constexpr std::size_t max_key_size = bj::string::max_size();
  static constexpr std::size_t max_string_size = bj::string::max_size();

  explicit PreciseHandler(bj::storage_ptr sp) : stack(std::move(sp)) {}

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_object_begin(bj::error_code&) { return true; }
  bool on_object_end(std::size_t n, bj::error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(bj::error_code&) { return true; }
  bool on_array_end(std::size_t n, bj::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(bj::string_view s, bj::error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, bj::string_view, bj::error_code&) {
    number.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code&) {
    number.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, bj::string_view s, bj::error_code& ec) {
    number.append(s.data(), s.size());
    double precise = 0;
    const auto result = std::from_chars(number.data(), number.data() + number.size(), precise);
    if (result.ec == std::errc::result_out_of_range) {
      outOfRangeLength = number.size();
      ec = bj::error::exponent_overflow;
      return false;
    }
    number.clear();
    stack.push_double(result.ec == std::errc() ? precise : d);
    return true;
  }
  bool on_bool(bool b, bj::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(bj::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }

  bj::value_stack stack;
  std::string number;                // the text of the number being parsed, when split in parts
  std::size_t outOfRangeLength = 0;  // if a number is beyond a double's range: its length
};

std::string lineAndColumn(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t lastNewline = before.rfind('\n');
  const std::size_t column =
      lastNewline == std::string_view::npos ? offset + 1 : offset - lastNewline;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Result<bj::value> parseText(std::string_view text, const bj::storage_ptr& storage) {
  bj::parse_options options;
  options.max_depth = kJsonMaxDepth;
  bj::basic_parser<PreciseHandler> parser(options, bj::storage_ptr());
  parser.handler().stack.reset(storage);
  bj::error_code ec;
  std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    std::string why = ec.message();
    if (const std::size_t length = parser.handler().outOfRangeLength; length > 0) {
      consumed -= std::min(consumed, length);  // point at the number, not after it
      why = "number out of range";
    } else if (ec == bj::error::too_deep) {
      why = "nested deeper than " + std::to_string(kJsonMaxDepth) + " arrays and objects";
    }
    return fail("invalid JSON at " + lineAndColumn(text, consumed) + ": " + why);
  }
  if (consumed < text.size()) {
    return fail("invalid JSON at " + lineAndColumn(text, consumed) +
                ": unexpected text after the JSON value");
  }
  return parser.handler().stack.release();
}

// ---------------------------------------------------------------------------
// Reading the DOM into a message.

// A JSON number: an integer Boost.JSON (or parseNumber) could hold exactly, or a double.
struct Number {
  enum class Kind { kInt64, kUInt64, kDouble } kind = Kind::kInt64;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
};

std::string toString(const Number& n) {
  std::string out;
  switch (n.kind) {
    case Number::Kind::kInt64:
      appendInteger(n.i, &out);
      break;
    case Number::Kind::kUInt64:
      appendInteger(n.u, &out);
      break;
    case Number::Kind::kDouble:
      appendFloating(n.d, &out);
      break;
  }
  return out;
}

std::optional<Number> numberOf(const bj::value& value) {
  switch (value.kind()) {
    case bj::kind::int64:
      return Number{Number::Kind::kInt64, value.get_int64(), 0, 0};
    case bj::kind::uint64:
      return Number{Number::Kind::kUInt64, 0, value.get_uint64(), 0};
    case bj::kind::double_:
      return Number{Number::Kind::kDouble, 0, 0, value.get_double()};
    default:
      return std::nullopt;
  }
}

// Reads a whole string as one JSON number, as Mesos does for "5" given for a number.
std::optional<Number> parseNumber(std::string_view s) {
  // Check the JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t intStart = i;
  const std::size_t intDigits = digits();
  if (intDigits == 0 || (intDigits > 1 && s[intStart] == '0')) return std::nullopt;
  bool integral = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return std::nullopt;
    integral = false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return std::nullopt;
    integral = false;
  }
  if (i != s.size()) return std::nullopt;

  const char* first = s.data();
  const char* last = s.data() + s.size();
  Number n;
  if (integral) {
    if (s[0] == '-') {
      if (std::from_chars(first, last, n.i).ec == std::errc()) return n;
    } else if (std::from_chars(first, last, n.u).ec == std::errc()) {
      n.kind = Number::Kind::kUInt64;
      return n;
    }
  }
  n.kind = Number::Kind::kDouble;
  if (std::from_chars(first, last, n.d).ec != std::errc()) return std::nullopt;  // out of range
  return n;
}

// Shortens a string from the input for an error message.
std::string excerpt(std::string_view s) {
  constexpr std::size_t kMax = 64;
  std::string out;
  appendQuoted(s.substr(0, kMax), &out);
  if (s.size() > kMax) out.insert(out.size() - 1, "...");
  return out;
}

std::string describeKind(const bj::value& value) {
  switch (value.kind()) {
    case bj::kind::null:
      return "null";
    case bj::kind::bool_:
      return "a boolean";
    case bj::kind::int64:
    case bj::kind::uint64:
    case bj::kind::double_:
      return "a number";
    case bj::kind::string:
      return "a string";
    case bj::kind::array:
      return "an array";
    case bj::kind::object:
      return "an object";
  }
  return "a value";
}

// What a field's values must be, for "expected ..." messages.
std::string describeExpected(const FieldDescriptor* field) {
  if (field->is_map()) return "an object";
  switch (field->type()) {
    case FieldDescriptor::TYPE_MESSAGE:
    case FieldDescriptor::TYPE_GROUP:
      return "an object";
    case FieldDescriptor::TYPE_STRING:
      return "a string";
    case FieldDescriptor::TYPE_BYTES:
      return "a base64 string";
    case FieldDescriptor::TYPE_BOOL:
      return "a boolean";
    case FieldDescriptor::TYPE_ENUM:
      return "a " + field->enum_type()->full_name() + " name";
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FLOAT:
      return std::string("a number (") + field->type_name() + ")";
    default:
      return std::string("an integer (") + field->type_name() + ")";
  }
}

// Whether an integral double lies in Integer's range (exactly, also for 64 bits).
template <typename Integer>
bool doubleFits(double d) {
  const double limit = std::ldexp(1.0, std::numeric_limits<Integer>::digits);  // 2^31, 2^64...
  return std::is_signed_v<Integer> ? (d >= -limit && d < limit) : (d >= 0 && d < limit);
}

class Reader {
 public:
  Result<void> message(const bj::object& object, Message* message) {
    const Descriptor* descriptor = message->GetDescriptor();
    std::string name;
    for (const bj::key_value_pair& member : object) {
      name.assign(member.key().data(), member.key().size());
      const FieldDescriptor* field = descriptor->FindFieldByName(name);
      if (field == nullptr) continue;  // unknown keys are ignored, as in Mesos
      path_.push_back(Segment{Segment::kField, field->name(), 0});
      PLEXUS_TRY(this->field(member.value(), message, field));
      path_.pop_back();
    }
    return {};
  }

 private:
  struct Segment {
    enum Kind { kField, kIndex, kKey } kind;
    std::string_view name;  // field name or map key
    std::size_t index;
  };

  // "<path>: <what>", e.g. "framework_info.roles[2]: expected a string, got a number".
  std::unexpected<Error> failHere(std::string_view what) const {
    std::string path;
    for (const Segment& segment : path_) {
      switch (segment.kind) {
        case Segment::kField:
          if (!path.empty()) path.push_back('.');
          path.append(segment.name);
          break;
        case Segment::kIndex:
          path += "[" + std::to_string(segment.index) + "]";
          break;
        case Segment::kKey:
          path += "[" + excerpt(segment.name) + "]";
          break;
      }
    }
    return fail(path + ": " + std::string(what));
  }

  std::unexpected<Error> wrongType(const FieldDescriptor* field, const bj::value& value) const {
    return failHere("expected " + describeExpected(field) + ", got " + describeKind(value));
  }

  Result<void> field(const bj::value& value, Message* message, const FieldDescriptor* field) {
    if (value.is_null()) return {};  // null means unset
    if (!field->is_repeated()) {
      if (value.is_array()) return wrongType(field, value);
      PLEXUS_TRY(element(value, message, field));
      return {};
    }
    const bj::array* array = value.if_array();
    if (array == nullptr) {  // Mesos takes a single value as a list of one
      PLEXUS_TRY(element(value, message, field));
      return {};
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const bj::value& item = (*array)[i];
      if (item.is_null()) continue;
      path_.push_back(Segment{Segment::kIndex, {}, i});
      if (item.is_array()) return wrongType(field, item);
      PLEXUS_TRY(element(item, message, field));
      path_.pop_back();
    }
    return {};
  }

  // Stores one value in a singular field or appends it to a repeated one (for a map,
  // the value is an object of entries). Returns false if the value was dropped
  // (an unknown enum name in a field that is not required).
  Result<bool> element(const bj::value& value, Message* message, const FieldDescriptor* field) {
    const Reflection* r = message->GetReflection();
    const bool repeated = field->is_repeated();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const bj::object* object = value.if_object();
        if (object == nullptr) return wrongType(field, value);
        if (field->is_map()) {
          PLEXUS_TRY(map(*object, message, field));
          return true;
        }
        Message* child =
            repeated ? r->AddMessage(message, field) : r->MutableMessage(message, field);
        PLEXUS_TRY(this->message(*object, child));
        return true;
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        const bj::string* string = value.if_string();
        if (string == nullptr) return wrongType(field, value);
        std::string bytes(string->data(), string->size());
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          Result<std::string> decoded = decodeBase64(bytes);
          if (!decoded) return failHere(decoded.error().message());
          bytes = std::move(*decoded);
        }
        repeated ? r->AddString(message, field, std::move(bytes))
                 : r->SetString(message, field, std::move(bytes));
        return true;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool b = false;
        if (value.is_bool()) {
          b = value.get_bool();
        } else if (const bj::string* s = value.if_string();
                   s != nullptr && (*s == "true" || *s == "false")) {
          b = *s == "true";  // Mesos reads a boolean from a string too
        } else {
          return wrongType(field, value);
        }
        repeated ? r->AddBool(message, field, b) : r->SetBool(message, field, b);
        return true;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const bj::string* name = value.if_string();
        if (name == nullptr) return wrongType(field, value);
        const EnumValueDescriptor* e =
            field->enum_type()->FindValueByName(std::string(name->data(), name->size()));
        if (e == nullptr) {
          if (field->is_required()) {
            return failHere("unknown " + field->enum_type()->full_name() + " value " +
                            excerpt(std::string_view(name->data(), name->size())));
          }
          return false;  // as proto2 drops an unknown enum value
        }
        repeated ? r->AddEnum(message, field, e) : r->SetEnum(message, field, e);
        return true;
      }
      case FieldDescriptor::CPPTYPE_INT32:
        return store<std::int32_t>(value, message, field, &Reflection::SetInt32,
                                   &Reflection::AddInt32);
      case FieldDescriptor::CPPTYPE_INT64:
        return store<std::int64_t>(value, message, field, &Reflection::SetInt64,
                                   &Reflection::AddInt64);
      case FieldDescriptor::CPPTYPE_UINT32:
        return store<std::uint32_t>(value, message, field, &Reflection::SetUInt32,
                                    &Reflection::AddUInt32);
      case FieldDescriptor::CPPTYPE_UINT64:
        return store<std::uint64_t>(value, message, field, &Reflection::SetUInt64,
                                    &Reflection::AddUInt64);
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return store<double>(value, message, field, &Reflection::SetDouble, &Reflection::AddDouble);
      case FieldDescriptor::CPPTYPE_FLOAT:
        return store<float>(value, message, field, &Reflection::SetFloat, &Reflection::AddFloat);
    }
    return wrongType(field, value);
  }

  template <typename T>
  using Setter = void (Reflection::*)(Message*, const FieldDescriptor*, T) const;

  template <typename T>
  Result<bool> store(const bj::value& value, Message* message, const FieldDescriptor* field,
                     Setter<T> set, Setter<T> add) {
    Result<T> converted = number<T>(value, field);
    if (!converted) return fail(converted.error());
    const Reflection* r = message->GetReflection();
    (r->*(field->is_repeated() ? add : set))(message, field, *converted);
    return true;
  }

  // The number `value` holds, or holds as a string, converted to T.
  template <typename T>
  Result<T> number(const bj::value& value, const FieldDescriptor* field) {
    std::optional<Number> n = numberOf(value);
    if (!n) {
      const bj::string* s = value.if_string();
      if (s == nullptr) return wrongType(field, value);
      const std::string_view text(s->data(), s->size());
      if constexpr (std::is_floating_point_v<T>) {
        if (text == "Infinity") return std::numeric_limits<T>::infinity();
        if (text == "-Infinity") return -std::numeric_limits<T>::infinity();
        if (text == "NaN") return std::numeric_limits<T>::quiet_NaN();
      }
      n = parseNumber(text);
      if (!n) {
        return failHere("expected " + describeExpected(field) + ", got the string " +
                        excerpt(text));
      }
    }
    return convert<T>(*n, field->type_name());
  }

  template <typename T>
  Result<T> convert(const Number& n, std::string_view typeName) const {
    const auto outOfRange = [&] {
      return failHere(toString(n) + " is out of range for " + std::string(typeName));
    };
    if constexpr (std::is_floating_point_v<T>) {
      const double d = n.kind == Number::Kind::kInt64    ? static_cast<double>(n.i)
                       : n.kind == Number::Kind::kUInt64 ? static_cast<double>(n.u)
                                                         : n.d;
      if constexpr (std::is_same_v<T, float>) {
        // Doubles that round to the largest float are taken as it; beyond, an error.
        constexpr double kMax = std::numeric_limits<float>::max();
        const double roundsToInfinity = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
        if (std::fabs(d) >= roundsToInfinity) return outOfRange();
        if (std::fabs(d) > kMax)
          return d > 0 ? std::numeric_limits<float>::max() : std::numeric_limits<float>::lowest();
        return static_cast<float>(d);
      } else {
        return d;
      }
    } else {
      switch (n.kind) {
        case Number::Kind::kInt64:
          if (!std::in_range<T>(n.i)) return outOfRange();
          return static_cast<T>(n.i);
        case Number::Kind::kUInt64:
          if (!std::in_range<T>(n.u)) return outOfRange();
          return static_cast<T>(n.u);
        case Number::Kind::kDouble:
          if (!std::isfinite(n.d) || std::trunc(n.d) != n.d) {
            return failHere("expected an integer (" + std::string(typeName) + "), got " +
                            toString(n));
          }
          if (!doubleFits<T>(n.d)) return outOfRange();
          return static_cast<T>(n.d);
      }
      return outOfRange();
    }
  }

  Result<void> map(const bj::object& object, Message* message, const FieldDescriptor* field) {
    const Reflection* r = message->GetReflection();
    const FieldDescriptor* keyField = field->message_type()->map_key();
    const FieldDescriptor* valueField = field->message_type()->map_value();
    for (const bj::key_value_pair& member : object) {
      if (member.value().is_null()) continue;
      path_.push_back(Segment{Segment::kKey, member.key(), 0});
      Message* entry = r->AddMessage(message, field);
      PLEXUS_TRY(mapKey(std::string_view(member.key()), entry, keyField));
      if (member.value().is_array()) return wrongType(valueField, member.value());
      Result<bool> stored = element(member.value(), entry, valueField);
      if (!stored) return fail(stored.error());
      if (!*stored) r->RemoveLast(message, field);  // unknown enum value: drop the entry
      path_.pop_back();
    }
    return {};
  }

  Result<void> mapKey(std::string_view key, Message* entry, const FieldDescriptor* keyField) {
    const Reflection* r = entry->GetReflection();
    if (keyField->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      r->SetString(entry, keyField, std::string(key));
      return {};
    }
    if (keyField->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
      if (key != "true" && key != "false")
        return failHere("expected a map key \"true\" or \"false\"");
      r->SetBool(entry, keyField, key == "true");
      return {};
    }
    const std::optional<Number> n = parseNumber(key);
    if (!n)
      return failHere(std::string("expected a map key holding an integer (") +
                      keyField->type_name() + ")");
    switch (keyField->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        Result<std::int32_t> v = convert<std::int32_t>(*n, keyField->type_name());
        if (!v) return fail(v.error());
        r->SetInt32(entry, keyField, *v);
        return {};
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        Result<std::int64_t> v = convert<std::int64_t>(*n, keyField->type_name());
        if (!v) return fail(v.error());
        r->SetInt64(entry, keyField, *v);
        return {};
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        Result<std::uint32_t> v = convert<std::uint32_t>(*n, keyField->type_name());
        if (!v) return fail(v.error());
        r->SetUInt32(entry, keyField, *v);
        return {};
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        Result<std::uint64_t> v = convert<std::uint64_t>(*n, keyField->type_name());
        if (!v) return fail(v.error());
        r->SetUInt64(entry, keyField, *v);
        return {};
      }
      default:
        return failHere("unsupported map key type");
    }
  }

  std::vector<Segment> path_;
};

}  // namespace

// ---------------------------------------------------------------------------

void appendJsonNumber(double value, std::string* out) {
  appendFloating(value, out);
}

void appendJsonString(std::string_view text, std::string* out) {
  appendQuoted(text, out);
}

void appendJson(const Message& message, std::string* out) {
  Writer(out).message(message);
}

std::string toJson(const Message& message) {
  std::string out;
  appendJson(message, &out);
  return out;
}

Result<void> fromJson(std::string_view json, Message* out) {
  out->Clear();
  // The DOM lives in one arena freed at once: no per-node frees, no deep destructor.
  bj::monotonic_resource arena;
  Result<bj::value> root = parseText(json, bj::storage_ptr(&arena));
  if (!root) return fail(root.error());
  const bj::object* object = root->if_object();
  if (object == nullptr) {
    return fail("expected a JSON object for " + out->GetDescriptor()->full_name() + ", got " +
                describeKind(*root));
  }
  if (Result<void> read = Reader().message(*object, out); !read) {
    out->Clear();
    return read;
  }
  std::vector<std::string> missing;
  out->FindInitializationErrors(&missing);
  if (!missing.empty()) {
    std::string names;
    for (const std::string& name : missing)
      names += (names.empty() ? "" : ", ") + name;
    out->Clear();
    return fail("missing required field(s): " + names);
  }
  return {};
}

}  // namespace plexus
