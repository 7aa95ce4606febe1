// Boost.JSON is header-only on Debian 12 (no libboost_json is shipped): this is
// the one translation unit that compiles its implementation, into the static
// plexus_boost_json (see CMakeLists.txt).
#include <boost/json/src.hpp>
