// plexus-module-info on the loader's fixtures: it says exactly why it cannot read
// a library (missing, not ELF, another ABI with both tags, which symbol is
// unresolved, no manifest) and exits 1; on a good library it prints the note's
// versions and the modules, and exits 0.
#include <string>

#include <gtest/gtest.h>

#include <plexus/module.hpp>

#include "process.hpp"

namespace plexus::testing {
namespace {

const std::string kFixtures = PLEXUS_FIXTURE_DIR;

struct Run {
  int status;
  std::string out;
  std::string err;
};

Run moduleInfo(const std::string& library) {
  TempDir dir;
  Process info("plexus-module-info", {library}, dir.path());
  int status = info.wait();
  return {status, info.out(), info.err()};
}

TEST(ModuleInfo, AMissingFileIsNamedSo) {
  auto run = moduleInfo(kFixtures + "/libno_such_fixture.so");
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err, kFixtures + "/libno_such_fixture.so: cannot read: file not found\n");
}

TEST(ModuleInfo, ATextFileIsNotELF) {
  auto run = moduleInfo(kFixtures + "/libfixture_not_a_library.so");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find(": cannot read: not a shared library (no ELF header)"), std::string::npos)
      << run.err;
}

TEST(ModuleInfo, AnUnresolvedSymbolIsNamed) {
  auto run = moduleInfo(kFixtures + "/libfixture_undefined_symbol.so");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("cannot load: not a loadable shared library: "), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("undefined symbol: plexus_fixture_function_that_does_not_exist"),
            std::string::npos)
      << run.err;
}

TEST(ModuleInfo, AnotherAbiIsRefusedFromTheNoteNamingBothTags) {
  auto run = moduleInfo(kFixtures + "/libfixture_abi_note_mismatch.so");
  EXPECT_EQ(run.status, 1);
  const std::string theirs =
      "gcc-12.2;c++202100L;libstdc++-12-cxx11abi0;plexus-sdk-0.1;protobuf-3021012;boost-108100";
  EXPECT_NE(run.out.find("ABI tag:            " + theirs + "\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("this SDK's tag:     " + std::string(kAbiTag) + " (DIFFERENT)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.err.find("ABI tag mismatch: the library was built as '" + theirs +
                         "', this SDK is '" + kAbiTag + "'"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("undefined symbol"), std::string::npos) << run.err;
}

TEST(ModuleInfo, NoManifestIsNamedSo) {
  auto run = moduleInfo(kFixtures + "/libfixture_no_manifest.so");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("no module manifest (no symbol 'plexus_module_library'"),
            std::string::npos)
      << run.err;
}

TEST(ModuleInfo, AGoodLibraryShowsItsNoteAndModules) {
  auto run = moduleInfo(kFixtures + "/libfixture_good_modules.so");
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("module API version: " + std::to_string(kModuleApiVersion) +
                         " (this SDK: " + std::to_string(kModuleApiVersion) +
                         ", same; from the ELF note)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("Hook fixture_hook"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace plexus::testing
