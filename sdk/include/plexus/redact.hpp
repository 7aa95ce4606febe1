// Redaction: secrets out of anything Plexus prints (logs, /flags, /state, the
// operator API's GET_FLAGS, error messages).
//
// Every printer of a URL or a flag value goes through these, so a ZooKeeper
// digest password (`zk://user:pass@host/path`), a password in any other URL's
// user information, or the contents of a flag that holds a secret never leave the
// process. Modules use them too (e.g. detector_zk when it names its ZooKeeper).
//
//   redactUrls("--master=zk://ops:s3cret@zk1:2181/plexus")
//       == "--master=zk://ops:***@zk1:2181/plexus"
//   redactFlag("credentials", R"({"credentials": [...]})") == "(inline JSON, not shown)"
//
// Pure functions: safe on any thread.
#pragma once

#include <string>
#include <string_view>

#include <plexus/export.hpp>

namespace plexus {

// What a secret is replaced by.
inline constexpr std::string_view kRedacted = "***";

// `text` with the password of every URL's user information (`scheme://user:pass@`)
// replaced by kRedacted. The user name stays, so messages still say who. Text
// without such a URL comes back unchanged.
PLEXUS_API std::string redactUrls(std::string_view text);

// The value of flag `name` as it may be printed: the whole value hidden for a flag
// that holds a secret itself (inline JSON given to --credential or --credentials,
// any flag whose name ends in "password" or "secret"), URL passwords redacted in
// every other value (a path to a secret file is fine to print).
PLEXUS_API std::string redactFlag(std::string_view name, std::string_view value);

}  // namespace plexus
