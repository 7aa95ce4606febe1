// One test per way the loader refuses a module, each against a tiny fixture library.
#include "module/module_registry.hpp"

#include <gtest/gtest.h>

#include <plexus/authenticator.hpp>
#include <plexus/hook.hpp>
#include <plexus/isolator.hpp>

namespace plexus::module {
namespace {

const std::string kFixtures = PLEXUS_FIXTURE_DIR;

std::string fixture(const std::string& name) {
  return kFixtures + "/libfixture_" + name + ".so";
}

// Loads `json` (which names fixtures) and returns the refusal, or "" on success.
std::string loadError(const std::string& json, ModuleRegistry* registry = nullptr) {
  ModuleRegistry local({kFixtures});
  ModuleRegistry& target = registry ? *registry : local;
  auto config = parseModulesJson(json, "modules.json");
  if (!config) return config.error().message();
  auto loaded = target.load(*config);
  return loaded ? "" : loaded.error().message();
}

std::string library(const std::string& file, const std::string& module,
                    const std::string& parameters = "[]") {
  return R"({"libraries":[{"file":")" + file + R"(","modules":[{"name":")" + module +
         R"(","parameters":)" + parameters + "}]}]}";
}

TEST(ModuleRegistry, LoadsGoodLibraryAndCreatesEachKind) {
  ModuleRegistry registry({kFixtures});
  std::string json = R"({"libraries":[{"file":")" + fixture("good_modules") + R"(","modules":[
      {"name":"fixture_hook","parameters":[{"key":"label","value":"blue"},{"key":"count","value":"7"}]},
      {"name":"fixture_isolator"},
      {"name":"fixture_authenticator","parameters":[{"key":"principal","value":"ops"}]}]}]})";
  ASSERT_EQ(loadError(json, &registry), "");
  ASSERT_EQ(registry.modules().size(), 3u);

  const LoadedModule* hookInfo = registry.find("fixture_hook");
  ASSERT_NE(hookInfo, nullptr);
  EXPECT_EQ(hookInfo->kind, "Hook");
  EXPECT_EQ(std::string(hookInfo->manifest->version), "1.2.3");
  EXPECT_EQ(hookInfo->parameters.integer("count"), 7);
  EXPECT_EQ(hookInfo->parameters.duration("interval"), std::chrono::seconds(5));
  EXPECT_TRUE(hookInfo->parameters.given("label"));
  EXPECT_FALSE(hookInfo->parameters.given("interval"));

  auto hook = registry.create<Hook>("fixture_hook", "--hooks");
  ASSERT_TRUE(hook) << hook.error().message();
  v1::TaskInfo task;
  auto labels = (*hook)->masterLaunchTaskLabelDecorator(task, {}, {});
  ASSERT_TRUE(labels && labels->has_value());
  ASSERT_EQ((*labels)->labels_size(), 1);
  EXPECT_EQ((*labels)->labels(0).value(), "blue");

  auto isolator = registry.create<Isolator>("fixture_isolator", "--isolation");
  ASSERT_TRUE(isolator) << isolator.error().message();
  EXPECT_TRUE((*isolator)->cleanup(ContainerId("c1")));

  auto authenticator = registry.create<Authenticator>("fixture_authenticator", "--authenticators");
  ASSERT_TRUE(authenticator) << authenticator.error().message();
  HttpRequestView request{"GET", "/state", {{"authorization", "Fixture ops"}}};
  auto result = (*authenticator)->authenticate(request, "realm");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->principal, "ops");
}

TEST(ModuleRegistry, ResolvesLibraryNameOnSearchPath) {
  ModuleRegistry registry({"/nonexistent-dir", kFixtures});
  auto config = parseModulesJson(
      R"({"libraries":[{"name":"fixture_good_modules","modules":[{"name":"fixture_isolator"}]}]})",
      "modules.json");
  ASSERT_TRUE(config);
  auto loaded = registry.load(*config);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(registry.find("fixture_isolator")->libraryPath, fixture("good_modules"));
}

TEST(ModuleRegistryRefuses, SameModuleListedTwice) {
  std::string once =
      R"({"file":")" + fixture("good_modules") + R"(","modules":[{"name":"fixture_isolator"}]})";
  EXPECT_EQ(loadError(R"({"libraries":[)" + once + "," + once + "]}"),
            "modules.json: library '" + fixture("good_modules") +
                "', module 'fixture_isolator': duplicate module entry: the same module, with the "
                "same parameters, is already loaded from library '" +
                fixture("good_modules") + "' (modules.json); list each module once");
}

TEST(ModuleRegistryRefuses, MissingFile) {
  EXPECT_EQ(loadError(library("/nonexistent/libgone.so", "gone")),
            "modules.json: library '/nonexistent/libgone.so', module 'gone': file not found");
}

TEST(ModuleRegistryRefuses, LibraryNameNotOnSearchPath) {
  std::string error = loadError(R"({"libraries":[{"name":"nowhere","modules":[{"name":"m"}]}]})");
  EXPECT_EQ(error.rfind("modules.json: library 'nowhere', module 'm': library not found: looked "
                        "for libnowhere.so and libplexus_nowhere.so in " +
                            kFixtures,
                        0),
            0u)
      << error;
}

TEST(ModuleRegistryRefuses, NotASharedLibrary) {
  EXPECT_EQ(loadError(library(fixture("not_a_library"), "m")),
            "modules.json: library '" + fixture("not_a_library") +
                "', module 'm': not a shared library (no ELF header)");
}

TEST(ModuleRegistryRefuses, UndefinedSymbolShowsTheLoadersReason) {
  std::string error = loadError(library(fixture("undefined_symbol"), "m"));
  EXPECT_NE(error.find("module 'm': not a loadable shared library: "), std::string::npos) << error;
  EXPECT_NE(error.find("undefined symbol: plexus_fixture_function_that_does_not_exist"),
            std::string::npos)
      << error;
}

TEST(ModuleRegistryRefuses, NoManifestSymbol) {
  EXPECT_EQ(loadError(library(fixture("no_manifest"), "m")),
            "modules.json: library '" + fixture("no_manifest") +
                "', module 'm': no module manifest: the library does not export "
                "'plexus_module_library' (build it with PLEXUS_MODULE_LIBRARY)");
}

TEST(ModuleRegistryRefuses, ManifestSymbolOfWrongType) {
  std::string error = loadError(library(fixture("wrong_symbol"), "m"));
  EXPECT_NE(error.find("module 'm': 'plexus_module_library' is not a Plexus module manifest"),
            std::string::npos)
      << error;
}

TEST(ModuleRegistryRefuses, ModuleApiVersionMismatch) {
  EXPECT_EQ(loadError(library(fixture("api_mismatch"), "m")),
            "modules.json: library '" + fixture("api_mismatch") +
                "', module 'm': module API version mismatch: the library has version " +
                std::to_string(kModuleApiVersion + 998) + ", this Plexus needs version " +
                std::to_string(kModuleApiVersion) + " (rebuild the module against this SDK)");
}

TEST(ModuleRegistryRefuses, AbiTagMismatchShowsBothTags) {
  std::string error = loadError(library(fixture("abi_mismatch"), "m"));
  EXPECT_NE(error.find("module 'm': ABI tag mismatch: the library was built as 'gcc-4.8;c++201103;"
                       "libstdc++-4-cxx11abi0;plexus-sdk-0.0;protobuf-3000000;boost-105500', "
                       "this Plexus is '" +
                       std::string(kAbiTag) + "'"),
            std::string::npos)
      << error;
}

TEST(ModuleRegistryRefuses, AbiTagInTheNoteBeforeAnySymbolIsResolved) {
  std::string error = loadError(library(fixture("abi_note_mismatch"), "m"));
  EXPECT_NE(error.find("module 'm': ABI tag mismatch: the library was built as "
                       "'gcc-12.2;c++202100L;libstdc++-12-cxx11abi0;plexus-sdk-0.1;"
                       "protobuf-3021012;boost-108100', this Plexus is '" +
                       std::string(kAbiTag) + "'"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("undefined symbol"), std::string::npos) << error;
}

TEST(ModuleRegistryRefuses, ModuleNotInLibrary) {
  EXPECT_EQ(loadError(library(fixture("good_modules"), "fixture_missing")),
            "modules.json: library '" + fixture("good_modules") +
                "', module 'fixture_missing': the library holds no such module (it holds: "
                "fixture_hook, fixture_isolator, fixture_authenticator)");
}

TEST(ModuleRegistryRefuses, UnknownKind) {
  std::string error = loadError(library(fixture("unknown_kind"), "fixture_frobnicator"));
  EXPECT_NE(error.find("module 'fixture_frobnicator': unknown module kind 'Frobnicator' (known: "
                       "Allocator, Isolator, Hook, Authenticator, MasterContender, MasterDetector, "
                       "RegistryStore, ContainerLogger)"),
            std::string::npos)
      << error;
}

TEST(ModuleRegistryRefuses, DuplicateModuleName) {
  std::string json = R"({"libraries":[{"file":")" + fixture("good_modules") +
                     R"(","modules":[{"name":"fixture_hook"}]},{"file":")" +
                     fixture("duplicate_name") + R"(","modules":[{"name":"fixture_hook"}]}]})";
  EXPECT_EQ(loadError(json), "modules.json: library '" + fixture("duplicate_name") +
                                 "', module 'fixture_hook': duplicate module name: already "
                                 "loaded from library '" +
                                 fixture("good_modules") +
                                 "' (modules.json); list each module once");
}

TEST(ModuleRegistryRefuses, SameNameWithOtherParameters) {
  std::string a =
      R"({"file":")" + fixture("good_modules") +
      R"(","modules":[{"name":"fixture_hook","parameters":[{"key":"count","value":"1"}]}]})";
  std::string b =
      R"({"file":")" + fixture("good_modules") +
      R"(","modules":[{"name":"fixture_hook","parameters":[{"key":"count","value":"2"}]}]})";
  std::string error = loadError(R"({"libraries":[)" + a + "," + b + "]}");
  EXPECT_NE(error.find("module 'fixture_hook': duplicate module name"), std::string::npos) << error;
}

TEST(ModuleRegistryRefuses, UnknownParameter) {
  EXPECT_EQ(loadError(library(fixture("good_modules"), "fixture_hook",
                              R"([{"key":"colour","value":"red"}])")),
            "modules.json: library '" + fixture("good_modules") +
                "', module 'fixture_hook': unknown parameter 'colour' (declared: label, count, "
                "interval, fail, throw)");
}

TEST(ModuleRegistryRefuses, IllTypedParameter) {
  EXPECT_EQ(loadError(library(fixture("good_modules"), "fixture_hook",
                              R"([{"key":"count","value":"seven"}])")),
            "modules.json: library '" + fixture("good_modules") +
                "', module 'fixture_hook': parameter 'count' must be an integer: 'seven' is not "
                "an integer");
  std::string error = loadError(library(fixture("good_modules"), "fixture_hook",
                                        R"([{"key":"interval","value":"5 parsecs"}])"));
  EXPECT_NE(error.find("parameter 'interval' must be a duration: invalid duration '5 parsecs'"),
            std::string::npos)
      << error;
}

TEST(ModuleRegistryRefuses, MissingRequiredParameter) {
  std::string error = loadError(library(fixture("good_modules"), "fixture_authenticator"));
  EXPECT_NE(error.find("module 'fixture_authenticator': missing required parameter 'principal'"),
            std::string::npos)
      << error;
}

TEST(ModuleRegistryRefuses, KindMismatchAtCreate) {
  ModuleRegistry registry({kFixtures});
  ASSERT_EQ(loadError(library(fixture("good_modules"), "fixture_isolator"), &registry), "");
  auto hook = registry.create<Hook>("fixture_isolator", "--hooks");
  ASSERT_FALSE(hook);
  EXPECT_EQ(hook.error().message(),
            "modules.json: library '" + fixture("good_modules") +
                "', module 'fixture_isolator': kind mismatch: --hooks needs a Hook module, but "
                "'fixture_isolator' is an Isolator");
}

TEST(ModuleRegistryRefuses, UnloadedNameAtCreate) {
  ModuleRegistry registry({kFixtures});
  auto allocator = registry.create<Isolator>("cgroups", "--isolation");
  ASSERT_FALSE(allocator);
  EXPECT_NE(allocator.error().message().find("--isolation=cgroups: no Isolator module named "
                                             "'cgroups' is loaded"),
            std::string::npos);
}

TEST(ModuleRegistryRefuses, FactoryError) {
  ModuleRegistry registry({kFixtures});
  ASSERT_EQ(loadError(library(fixture("good_modules"), "fixture_hook",
                              R"([{"key":"fail","value":"true"}])"),
                      &registry),
            "");
  auto hook = registry.create<Hook>("fixture_hook", "--hooks");
  ASSERT_FALSE(hook);
  EXPECT_EQ(hook.error().message(), "modules.json: library '" + fixture("good_modules") +
                                        "', module 'fixture_hook': create() failed: the operator "
                                        "asked this hook to fail");
}

TEST(ModuleRegistryRefuses, FactoryExceptionBecomesError) {
  ModuleRegistry registry({kFixtures});
  ASSERT_EQ(loadError(library(fixture("good_modules"), "fixture_hook",
                              R"([{"key":"throw","value":"true"}])"),
                      &registry),
            "");
  auto hook = registry.create<Hook>("fixture_hook", "--hooks");
  ASSERT_FALSE(hook);
  EXPECT_NE(hook.error().message().find(
                "create() failed: the factory threw: thrown from the fixture's factory"),
            std::string::npos)
      << hook.error().message();
}

TEST(ModuleRegistryRefuses, MalformedJson) {
  EXPECT_EQ(
      loadError("{\"libraries\": [}").rfind("modules.json: malformed JSON at line 1, column 16", 0),
      0u);
}

}  // namespace
}  // namespace plexus::module
