// PLEXUS_API: marks what libplexus_sdk.so exports.
//
// The SDK library is built with -fvisibility=hidden -fvisibility-inlines-hidden:
// only declarations marked PLEXUS_API (the public classes, the interfaces of the
// module kinds, the free functions of these headers) and the generated wire types
// are visible to the core, to modules and to frameworks; everything else the
// library holds (its helpers, its copy of Boost.JSON) stays inside it. Mark a
// class to export its members, vtable and type information; mark a free function,
// or a friend defined out of line, on its declaration. Inline functions and
// templates need no mark.
//
// PLEXUS_INTERNAL_API marks the few helpers the library exports for the core and
// the modules of this repository only (<plexus/internal/...>, never installed):
// they are not part of the contract and may change in any release.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define PLEXUS_API __attribute__((visibility("default")))
#else
#define PLEXUS_API
#endif

#define PLEXUS_INTERNAL_API PLEXUS_API
