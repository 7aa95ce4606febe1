// Boost.JSON is header-only on Debian 12 (no libboost_json is shipped): this is
// the one translation unit that compiles its implementation. libplexus_sdk.so
// exports it, so the core uses Boost.JSON by linking plexus_sdk.
#include <boost/json/src.hpp>
