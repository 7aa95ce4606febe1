// Parsing the agent's `--resources` flag: Mesos's text format and JSON arrays of
// v1 Resource objects. Both build a v1::Resource and go through the wire
// validation, so the two syntaxes and the wire accept exactly the same resources.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include <boost/json.hpp>
#include <google/protobuf/util/json_util.h>

#include <plexus/resources.hpp>
#include <plexus/v1/mesos.pb.h>

// Reading and writing the deprecated `role`/`reservation` fields is the point of
// the pre-refinement compatibility code here.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace plexus {

namespace {

namespace json = boost::json;
using WireReservation = v1::Resource::ReservationInfo;

bool isSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

bool isOpener(char c) {
  return c == '(' || c == '[' || c == '{' || c == '<';
}
char closerOf(char c) {
  switch (c) {
    case '(':
      return ')';
    case '[':
      return ']';
    case '{':
      return '}';
    default:
      return '>';
  }
}

// Index of the bracket closing the one at `open`, honouring nesting of (), [] and
// {}; npos when unbalanced.
std::size_t matching(std::string_view text, std::size_t open) {
  std::string stack(1, closerOf(text[open]));
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '(' || c == '[' || c == '{') {
      stack.push_back(closerOf(c));
    } else if (c == stack.back()) {
      stack.pop_back();
      if (stack.empty()) return i;
    }
  }
  return std::string_view::npos;
}

// Splits at `separator` where it is outside (), [] and {}.
std::vector<std::string_view> splitTopLevel(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '(' || c == '[' || c == '{') ++depth;
    if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    if (c == separator && depth == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

Result<std::uint64_t> parseUnsigned(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    return fail(quote(text) + " is not a non-negative integer");
  }
  if (ec == std::errc::result_out_of_range) return fail(quote(text) + " is out of range");
  return value;
}

Result<void> parseValue(std::string_view text, v1::Resource* wire) {
  // Like Mesos, whitespace inside a value is insignificant: `[1-10, 20-30]`.
  std::string value;
  for (char c : text) {
    if (!isSpace(c)) value.push_back(c);
  }
  if (value.empty()) return fail("empty value");

  if (value.front() == '[') {
    if (value.back() != ']' || value.size() < 2) return fail("missing ']' in " + quote(value));
    std::vector<Range> ranges;
    for (std::string_view element :
         splitTopLevel(std::string_view(value).substr(1, value.size() - 2), ',')) {
      if (element.empty()) continue;
      const std::size_t dash = element.find('-');
      if (dash == std::string_view::npos)
        return fail(quote(element) + " is not a range (expected begin-end)");
      auto begin = parseUnsigned(element.substr(0, dash));
      if (!begin) return fail(begin.error());
      auto end = parseUnsigned(element.substr(dash + 1));
      if (!end) return fail(end.error());
      if (*begin > *end) return fail("range " + quote(element) + " has begin > end");
      ranges.push_back({*begin, *end});
    }
    // Mesos coalesces overlapping ranges written in the text format.
    auto coalesced = Resource::makeRanges("ranges", std::move(ranges));
    wire->set_type(v1::Value::RANGES);
    auto* out = wire->mutable_ranges();
    for (const Range& range : coalesced->ranges()) {
      auto* r = out->add_range();
      r->set_begin(range.begin);
      r->set_end(range.end);
    }
    return {};
  }

  if (value.front() == '{') {
    if (value.back() != '}' || value.size() < 2) return fail("missing '}' in " + quote(value));
    wire->set_type(v1::Value::SET);
    auto* set = wire->mutable_set();
    for (std::string_view item :
         splitTopLevel(std::string_view(value).substr(1, value.size() - 2), ',')) {
      if (!item.empty()) set->add_item(std::string(item));
    }
    return {};
  }

  double number = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec == std::errc::invalid_argument || end != value.data() + value.size()) {
    return fail(quote(value) + " is not a number");
  }
  if (ec == std::errc::result_out_of_range || !std::isfinite(number)) {
    return fail(quote(value) + " is not a finite number");
  }
  if (number < 0) return fail(quote(value) + " is negative");
  if (number > Resource::kMaxScalar) return fail(quote(value) + " is too large");
  wire->set_type(v1::Value::SCALAR);
  wire->mutable_scalar()->set_value(number);
  return {};
}

Result<void> parseLabels(std::string_view text, v1::Labels* labels) {
  // `{key: value, key2}` as Resource::toString prints them.
  text = trim(text);
  if (text.size() < 2 || text.front() != '{' || text.back() != '}')
    return fail("bad labels " + quote(text));
  text = trim(text.substr(1, text.size() - 2));
  if (text.empty()) return {};
  for (std::string_view part : splitTopLevel(text, ',')) {
    v1::Label* label = labels->add_labels();
    const std::size_t colon = part.find(':');
    label->set_key(std::string(trim(part.substr(0, colon))));
    if (colon != std::string_view::npos)
      label->set_value(std::string(trim(part.substr(colon + 1))));
  }
  return {};
}

// `[(STATIC,eng),(DYNAMIC,eng/web,alice,{k: v})]`
Result<void> parseReservationList(std::string_view text, v1::Resource* wire) {
  text = trim(text);
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
    return fail("expected 'reservations: [(TYPE,role[,principal][,{labels}]),...]'");
  }
  for (std::string_view item : splitTopLevel(text.substr(1, text.size() - 2), ',')) {
    item = trim(item);
    if (item.size() < 2 || item.front() != '(' || item.back() != ')') {
      return fail("bad reservation " + quote(item) +
                  " (expected (TYPE,role[,principal][,{labels}]))");
    }
    const auto fields = splitTopLevel(item.substr(1, item.size() - 2), ',');
    if (fields.size() < 2 || fields.size() > 4) return fail("bad reservation " + quote(item));
    WireReservation* r = wire->add_reservations();
    const std::string_view type = trim(fields[0]);
    if (type == "STATIC") {
      r->set_type(WireReservation::STATIC);
    } else if (type == "DYNAMIC") {
      r->set_type(WireReservation::DYNAMIC);
    } else {
      return fail("bad reservation type " + quote(type) + " (expected STATIC or DYNAMIC)");
    }
    r->set_role(std::string(trim(fields[1])));
    for (std::size_t i = 2; i < fields.size(); ++i) {
      const std::string_view field = trim(fields[i]);
      if (!field.empty() && field.front() == '{') {
        PLEXUS_TRY(parseLabels(field, r->mutable_labels()));
      } else if (i == 2) {
        r->set_principal(std::string(field));
      } else {
        return fail("bad reservation " + quote(item));
      }
    }
  }
  return {};
}

// One `name(annotations):value` token of the text format, into `wire`.
Result<void> parseToken(std::string_view token, std::string_view defaultRole, v1::Resource* wire) {
  std::size_t pos = token.find_first_of("([{<:");
  if (pos == std::string_view::npos) return fail("missing ':' between name and value");
  const std::string_view name = trim(token.substr(0, pos));
  if (name.empty()) return fail("empty name");
  wire->set_name(std::string(name));

  bool haveRole = false;
  for (;;) {
    while (pos < token.size() && isSpace(token[pos]))
      ++pos;
    if (pos >= token.size()) return fail("missing ':' between name and value");
    const char c = token[pos];
    if (c == ':') break;
    if (!isOpener(c))
      return fail("unexpected " + quote(std::string_view(&c, 1)) + " after the name");
    const std::size_t close = matching(token, pos);
    if (close == std::string_view::npos)
      return fail("missing '" + std::string(1, closerOf(c)) + "'");
    const std::string_view inner = trim(token.substr(pos + 1, close - pos - 1));
    if (c == '(') {
      if (inner.starts_with("allocated:")) {
        if (wire->has_allocation_info()) return fail("the allocation role is given twice");
        wire->mutable_allocation_info()->set_role(std::string(trim(inner.substr(10))));
      } else if (inner.starts_with("reservations:")) {
        if (haveRole) return fail("the reservation is given twice");
        haveRole = true;
        PLEXUS_TRY(parseReservationList(inner.substr(13), wire));
      } else {
        if (haveRole) return fail("the reservation is given twice");
        haveRole = true;
        if (inner != "*") {
          WireReservation* r = wire->add_reservations();
          r->set_type(WireReservation::STATIC);
          r->set_role(std::string(inner));
        }
      }
    } else if (c == '{' && inner == "REV") {
      wire->mutable_revocable();
    } else if (c == '[') {
      return fail("disk info cannot be written in the text format; use JSON");
    } else if (c == '<' && inner == "SHARED") {
      return fail(
          "shared resources need disk info, which the text format cannot express; use JSON");
    } else {
      return fail("unknown annotation " + quote(token.substr(pos, close - pos + 1)));
    }
    pos = close + 1;
  }

  PLEXUS_TRY(parseValue(token.substr(pos + 1), wire));
  if (!haveRole && defaultRole != "*") {
    WireReservation* r = wire->add_reservations();
    r->set_type(WireReservation::STATIC);
    r->set_role(std::string(defaultRole));
  }
  return {};
}

// ---------------------------------------------------------------------------
// JSON: the v1 JSON mapping of Resource (snake_case or protobuf's camelCase
// names, enum names or numbers, 64-bit integers as numbers or strings).

const json::value* field(const json::object& object, std::string_view snake,
                         std::string_view camel = {}) {
  if (auto* v = object.if_contains(snake)) return v;
  if (!camel.empty()) return object.if_contains(camel);
  return nullptr;
}

Result<const json::object*> asObject(const json::value& v, std::string_view path) {
  if (!v.is_object()) return fail("field '" + std::string(path) + "' must be an object");
  return &v.get_object();
}

Result<const json::array*> asArray(const json::value& v, std::string_view path) {
  if (!v.is_array()) return fail("field '" + std::string(path) + "' must be an array");
  return &v.get_array();
}

Result<std::string> asString(const json::value& v, std::string_view path) {
  if (!v.is_string()) return fail("field '" + std::string(path) + "' must be a string");
  return std::string(v.get_string());
}

Result<double> asDouble(const json::value& v, std::string_view path) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_string()) {
    // Protobuf's JSON mapping writes non-finite doubles as strings.
    const std::string_view s = v.get_string();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return HUGE_VAL;
    if (s == "-Infinity") return -HUGE_VAL;
    double number = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
    if (ec == std::errc() && end == s.data() + s.size()) return number;
  }
  return fail("field '" + std::string(path) + "' must be a number");
}

Result<std::uint64_t> asUnsigned(const json::value& v, std::string_view path) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  if (v.is_double() && v.get_double() >= 0 && v.get_double() < 18446744073709551616.0 &&
      std::floor(v.get_double()) == v.get_double()) {
    return static_cast<std::uint64_t>(v.get_double());
  }
  if (v.is_string()) {
    auto parsed = parseUnsigned(v.get_string());
    if (parsed) return parsed;
  }
  return fail("field '" + std::string(path) + "' must be a non-negative integer");
}

template <typename Enum>
Result<Enum> asEnum(const json::value& v, std::string_view path,
                    bool (*parse)(const std::string&, Enum*), bool (*valid)(int)) {
  Enum out{};
  if (v.is_string() && parse(std::string(v.get_string()), &out)) return out;
  if (v.is_int64() && valid(static_cast<int>(v.get_int64())))
    return static_cast<Enum>(v.get_int64());
  return fail("field '" + std::string(path) + "' has an unknown value " + json::serialize(v));
}

Result<void> labelsFromJson(const json::value& v, std::string_view path, v1::Labels* labels) {
  auto object = asObject(v, path);
  if (!object) return fail(object.error());
  const json::value* list = field(**object, "labels");
  if (list == nullptr) return {};
  auto array = asArray(*list, std::string(path) + ".labels");
  if (!array) return fail(array.error());
  for (const json::value& item : **array) {
    auto label = asObject(item, std::string(path) + ".labels[]");
    if (!label) return fail(label.error());
    const json::value* key = field(**label, "key");
    if (key == nullptr) return fail("field '" + std::string(path) + ".labels[].key' is required");
    auto keyText = asString(*key, std::string(path) + ".labels[].key");
    if (!keyText) return fail(keyText.error());
    v1::Label* out = labels->add_labels();
    out->set_key(*keyText);
    if (const json::value* value = field(**label, "value")) {
      auto valueText = asString(*value, std::string(path) + ".labels[].value");
      if (!valueText) return fail(valueText.error());
      out->set_value(*valueText);
    }
  }
  return {};
}

Result<void> reservationFromJson(const json::value& v, std::string_view path,
                                 WireReservation* out) {
  auto object = asObject(v, path);
  if (!object) return fail(object.error());
  const std::string p(path);
  if (const json::value* type = field(**object, "type")) {
    auto parsed = asEnum<WireReservation::Type>(*type, p + ".type", &WireReservation::Type_Parse,
                                                &WireReservation::Type_IsValid);
    if (!parsed) return fail(parsed.error());
    out->set_type(*parsed);
  }
  if (const json::value* role = field(**object, "role")) {
    auto text = asString(*role, p + ".role");
    if (!text) return fail(text.error());
    out->set_role(*text);
  }
  if (const json::value* principal = field(**object, "principal")) {
    auto text = asString(*principal, p + ".principal");
    if (!text) return fail(text.error());
    out->set_principal(*text);
  }
  if (const json::value* labels = field(**object, "labels")) {
    PLEXUS_TRY(labelsFromJson(*labels, p + ".labels", out->mutable_labels()));
  }
  return {};
}

Result<void> resourceFromJson(const json::value& v, v1::Resource* wire) {
  auto objectResult = asObject(v, "resource");
  if (!objectResult) return fail("a resource must be a JSON object");
  const json::object& object = **objectResult;

  const json::value* name = field(object, "name");
  if (name == nullptr) return fail("field 'name' is required");
  auto nameText = asString(*name, "name");
  if (!nameText) return fail(nameText.error());
  wire->set_name(*nameText);

  const json::value* type = field(object, "type");
  if (type == nullptr) return fail("field 'type' is required");
  auto parsedType =
      asEnum<v1::Value::Type>(*type, "type", &v1::Value::Type_Parse, &v1::Value::Type_IsValid);
  if (!parsedType) return fail(parsedType.error());
  wire->set_type(*parsedType);

  if (const json::value* scalar = field(object, "scalar")) {
    auto o = asObject(*scalar, "scalar");
    if (!o) return fail(o.error());
    const json::value* value = field(**o, "value");
    if (value == nullptr) return fail("field 'scalar.value' is required");
    auto number = asDouble(*value, "scalar.value");
    if (!number) return fail(number.error());
    wire->mutable_scalar()->set_value(*number);
  }
  if (const json::value* ranges = field(object, "ranges")) {
    auto o = asObject(*ranges, "ranges");
    if (!o) return fail(o.error());
    auto* out = wire->mutable_ranges();
    if (const json::value* list = field(**o, "range")) {
      auto array = asArray(*list, "ranges.range");
      if (!array) return fail(array.error());
      for (const json::value& item : **array) {
        auto range = asObject(item, "ranges.range[]");
        if (!range) return fail(range.error());
        const json::value* begin = field(**range, "begin");
        const json::value* end = field(**range, "end");
        if (begin == nullptr || end == nullptr)
          return fail("fields 'begin' and 'end' of a range are required");
        auto b = asUnsigned(*begin, "ranges.range[].begin");
        if (!b) return fail(b.error());
        auto e = asUnsigned(*end, "ranges.range[].end");
        if (!e) return fail(e.error());
        auto* r = out->add_range();
        r->set_begin(*b);
        r->set_end(*e);
      }
    }
  }
  if (const json::value* set = field(object, "set")) {
    auto o = asObject(*set, "set");
    if (!o) return fail(o.error());
    auto* out = wire->mutable_set();
    if (const json::value* list = field(**o, "item")) {
      auto array = asArray(*list, "set.item");
      if (!array) return fail(array.error());
      for (const json::value& item : **array) {
        auto text = asString(item, "set.item[]");
        if (!text) return fail(text.error());
        out->add_item(*text);
      }
    }
  }
  if (const json::value* role = field(object, "role")) {
    auto text = asString(*role, "role");
    if (!text) return fail(text.error());
    wire->set_role(*text);
  }
  if (const json::value* reservation = field(object, "reservation")) {
    PLEXUS_TRY(reservationFromJson(*reservation, "reservation", wire->mutable_reservation()));
  }
  if (const json::value* reservations = field(object, "reservations")) {
    auto array = asArray(*reservations, "reservations");
    if (!array) return fail(array.error());
    for (const json::value& item : **array) {
      PLEXUS_TRY(reservationFromJson(item, "reservations[]", wire->add_reservations()));
    }
  }
  if (const json::value* allocation = field(object, "allocation_info", "allocationInfo")) {
    auto o = asObject(*allocation, "allocation_info");
    if (!o) return fail(o.error());
    auto* out = wire->mutable_allocation_info();
    if (const json::value* role = field(**o, "role")) {
      auto text = asString(*role, "allocation_info.role");
      if (!text) return fail(text.error());
      out->set_role(*text);
    }
  }
  if (const json::value* revocable = field(object, "revocable")) {
    if (!revocable->is_object()) return fail("field 'revocable' must be an object");
    wire->mutable_revocable();
  }
  if (const json::value* shared = field(object, "shared")) {
    if (!shared->is_object()) return fail("field 'shared' must be an object");
    wire->mutable_shared();
  }
  if (const json::value* provider = field(object, "provider_id", "providerId")) {
    auto o = asObject(*provider, "provider_id");
    if (!o) return fail(o.error());
    const json::value* value = field(**o, "value");
    if (value == nullptr) return fail("field 'provider_id.value' is required");
    auto text = asString(*value, "provider_id.value");
    if (!text) return fail(text.error());
    wire->mutable_provider_id()->set_value(*text);
  }
  if (const json::value* disk = field(object, "disk")) {
    // DiskInfo is carried opaquely: let protobuf's JSON mapping read all of it.
    if (!disk->is_object()) return fail("field 'disk' must be an object");
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    auto status = google::protobuf::util::JsonStringToMessage(json::serialize(*disk),
                                                              wire->mutable_disk(), options);
    if (!status.ok()) return fail("field 'disk': " + status.ToString());
  }
  return {};
}

}  // namespace

Result<Resources> Resources::parse(std::string_view text, std::string_view defaultRole) {
  if (trim(text).starts_with('[')) return parseJson(text, defaultRole);
  return parseText(text, defaultRole);
}

Result<Resources> Resources::parseText(std::string_view text, std::string_view defaultRole) {
  if (auto valid = validateRole(defaultRole); !valid)
    return fail(valid.error().context("invalid default role"));
  Resources result;
  for (std::string_view token : splitTopLevel(text, ';')) {
    token = trim(token);
    if (token.empty()) continue;
    auto bad = [&](const Error& error) {
      return fail(error.context("invalid resource " + quote(token)));
    };
    v1::Resource wire;
    if (auto parsed = parseToken(token, defaultRole, &wire); !parsed) return bad(parsed.error());
    auto resource = Resource::convertWire(wire);
    if (!resource) return bad(resource.error());
    result.addEntry(std::move(*resource));
  }
  return result;
}

Result<Resources> Resources::parseJson(std::string_view text, std::string_view defaultRole) {
  if (auto valid = validateRole(defaultRole); !valid)
    return fail(valid.error().context("invalid default role"));
  boost::system::error_code ec;
  json::value document = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return fail("invalid resources JSON: " + ec.message());
  if (!document.is_array())
    return fail("invalid resources JSON: expected an array of Resource objects");
  Resources result;
  const json::array& array = document.get_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    v1::Resource wire;
    auto parsed = resourceFromJson(array[i], &wire);
    auto what = [&] {
      std::string where = "invalid resource";
      if (!wire.name().empty()) where += " " + quote(wire.name());
      return where + " (JSON array element " + std::to_string(i) + ")";
    };
    if (!parsed) return fail(parsed.error().context(what()));
    if (!wire.has_role() && wire.reservations_size() == 0 && defaultRole != "*") {
      wire.set_role(std::string(defaultRole));
    }
    auto resource = Resource::convertWire(wire);
    if (!resource) return fail(resource.error().context(what()));
    result.addEntry(std::move(*resource));
  }
  return result;
}

}  // namespace plexus
