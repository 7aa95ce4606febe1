#include <set>
#include <string>

#include <plexus/file.hpp>
#include <plexus/internal/base64.hpp>
#include <plexus/internal/credentials.hpp>
#include <plexus/json.hpp>

namespace plexus {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::strchr(" \t\r\n", text.front()) != nullptr)
    text.remove_prefix(1);
  while (!text.empty() && std::strchr(" \t\r\n", text.back()) != nullptr)
    text.remove_suffix(1);
  return text;
}

// The text of `source` and a name for it in errors.
Result<std::pair<std::string, std::string>> readSource(std::string_view source) {
  std::string_view text = trim(source);
  if (text.empty()) return fail("empty credentials source");
  if (text.front() == '{')
    return std::pair<std::string, std::string>{std::string(text), "inline JSON"};
  std::string path(text.starts_with("file://") ? text.substr(7) : text);
  auto contents = readFile(path);
  if (!contents) {
    return fail("cannot read credentials file '" + path + "': " + contents.error().message());
  }
  return std::pair<std::string, std::string>{std::move(*contents), "'" + path + "'"};
}

// Mesos's text format: "principal secret" per line.
Result<std::vector<v1::Credential>> parseText(std::string_view text, const std::string& name) {
  std::vector<v1::Credential> credentials;
  int number = 0;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++number;
    if (line.empty()) continue;
    std::size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) {
      return fail(name + ": line " + std::to_string(number) +
                  ": expected 'principal secret' (a principal and a secret separated by a space)");
    }
    v1::Credential& credential = credentials.emplace_back();
    credential.set_principal(std::string(line.substr(0, space)));
    credential.set_secret(std::string(trim(line.substr(space))));
  }
  return credentials;
}

}  // namespace

Result<std::vector<v1::Credential>> loadCredentials(std::string_view source) {
  auto read = readSource(source);
  if (!read) return fail(read.error());
  const auto& [text, name] = *read;
  std::vector<v1::Credential> credentials;
  if (trim(text).starts_with("{")) {
    auto parsed = fromJson<v1::Credentials>(trim(text));
    if (!parsed) return fail("credentials " + name + ": " + parsed.error().message());
    credentials.assign(parsed->credentials().begin(), parsed->credentials().end());
  } else {
    auto parsed = parseText(text, "credentials " + name);
    if (!parsed) return fail(parsed.error());
    credentials = std::move(*parsed);
  }
  std::set<std::string> principals;
  for (std::size_t i = 0; i < credentials.size(); ++i) {
    const std::string& principal = credentials[i].principal();
    if (principal.empty())
      return fail("credentials " + name + ": entry " + std::to_string(i) +
                  " has an empty principal");
    if (!principals.insert(principal).second)
      return fail("credentials " + name + ": principal '" + principal + "' is given twice");
  }
  return credentials;
}

Result<v1::Credential> loadCredential(std::string_view source) {
  auto read = readSource(source);
  if (!read) return fail(read.error());
  const auto& [text, name] = *read;
  v1::Credential credential;
  if (trim(text).starts_with("{")) {
    auto parsed = fromJson<v1::Credential>(trim(text));
    if (!parsed) return fail("credential " + name + ": " + parsed.error().message());
    credential = std::move(*parsed);
  } else {
    auto parsed = parseText(text, "credential " + name);
    if (!parsed) return fail(parsed.error());
    if (parsed->size() != 1) {
      return fail("credential " + name + ": expected one 'principal secret' line, found " +
                  std::to_string(parsed->size()));
    }
    credential = std::move(parsed->front());
  }
  if (credential.principal().empty())
    return fail("credential " + name + ": the principal is empty");
  return credential;
}

std::string basicAuthorization(const v1::Credential& credential) {
  return "Basic " + encodeBase64(credential.principal() + ":" + credential.secret());
}

bool secretsEqual(std::string_view given, std::string_view expected) noexcept {
  // Every byte of `given` is compared against a byte of `expected` (wrapping), so the
  // time does not depend on where the first difference is.
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  if (expected.empty()) return given.empty();
  for (std::size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return difference == 0;
}

}  // namespace plexus
