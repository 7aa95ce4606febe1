// Credentials in Mesos's formats: what `--credentials` (the master's list),
// `--credential` (an agent's or a client's own) and authenticator modules read.
//
// A source is inline JSON (it starts with '{'), a `file://` URL or a path. The
// file holds JSON, or Mesos's text format: one "principal secret" pair per line
// (blank lines skipped).
//   --credentials: {"credentials": [{"principal": "web", "secret": "s3cret"}]}
//   --credential:  {"principal": "web", "secret": "s3cret"}   or   web s3cret
//
// Errors say which source, and which entry or line, is wrong; they never quote a
// secret. Stateless: call from any thread. Internal: exported by libplexus_sdk.so
// for the core and this repository's modules only; not installed, not part of the
// SDK's contract.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <plexus/error.hpp>
#include <plexus/export.hpp>
#include <plexus/v1/mesos.pb.h>

namespace plexus {

// A list of credentials; every principal must be non-empty and unique.
PLEXUS_INTERNAL_API Result<std::vector<v1::Credential>> loadCredentials(std::string_view source);

// One credential, with a non-empty principal.
PLEXUS_INTERNAL_API Result<v1::Credential> loadCredential(std::string_view source);

// The value of an `Authorization` header for HTTP Basic with `credential`:
// "Basic " + base64(principal ":" secret).
PLEXUS_INTERNAL_API std::string basicAuthorization(const v1::Credential& credential);

// Compares two secrets in time that depends only on their lengths, not on where
// they first differ.
PLEXUS_INTERNAL_API bool secretsEqual(std::string_view given, std::string_view expected) noexcept;

}  // namespace plexus
