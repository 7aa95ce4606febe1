// Unit tests of DrfSorter: dominant shares, exclusions, order and ties.
#include "drf_sorter.hpp"

#include <gtest/gtest.h>

namespace plexus::drf {
namespace {

ResourceQuantities Q(std::string_view text) {
  auto parsed = ResourceQuantities::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(ResourceQuantities());
}

TEST(DrfSorter, DominantShareIsTheLargestFractionOfTheTotal) {
  DrfSorter sorter;
  sorter.addTotal(Q("cpus:9;mem:18"));
  sorter.add("a");
  sorter.allocated("a", Q("cpus:1;mem:4"));
  EXPECT_DOUBLE_EQ(sorter.share("a"), 4.0 / 18);
  sorter.allocated("a", Q("cpus:5"));
  EXPECT_DOUBLE_EQ(sorter.share("a"), 6.0 / 9);
  sorter.unallocated("a", Q("cpus:6;mem:4"));
  EXPECT_DOUBLE_EQ(sorter.share("a"), 0.0);
  EXPECT_TRUE(sorter.allocation("a").empty());
}

TEST(DrfSorter, ExcludedNamesAndNamesWithoutTotalDoNotCount) {
  DrfSorter sorter({"gpus"});
  sorter.addTotal(Q("cpus:10;gpus:1"));
  sorter.add("a");
  sorter.allocated("a", Q("cpus:1;gpus:1;disk:5"));
  EXPECT_DOUBLE_EQ(sorter.share("a"), 0.1);
}

TEST(DrfSorter, SortsByShareThenByName) {
  DrfSorter sorter;
  sorter.addTotal(Q("cpus:10;mem:10"));
  for (const char* client : {"c", "a", "b", "d"}) {
    sorter.add(client);
  }
  sorter.allocated("c", Q("mem:1"));
  sorter.allocated("d", Q("cpus:5"));
  EXPECT_EQ(sorter.sort(), (std::vector<std::string>{"a", "b", "c", "d"}));
  sorter.allocated("a", Q("cpus:2"));
  EXPECT_EQ(sorter.sort(), (std::vector<std::string>{"b", "c", "a", "d"}));
  sorter.allocated("b", Q("mem:1"));  // tied with c: by name
  EXPECT_EQ(sorter.sort(), (std::vector<std::string>{"b", "c", "a", "d"}));
}

TEST(DrfSorter, TotalChangesMoveShares) {
  DrfSorter sorter;
  sorter.addTotal(Q("cpus:4"));
  sorter.add("a");
  sorter.allocated("a", Q("cpus:2"));
  EXPECT_DOUBLE_EQ(sorter.share("a"), 0.5);
  sorter.addTotal(Q("cpus:4"));
  EXPECT_DOUBLE_EQ(sorter.share("a"), 0.25);
  sorter.removeTotal(Q("cpus:8"));
  EXPECT_DOUBLE_EQ(sorter.share("a"), 0.0);  // nothing to share
}

TEST(DrfSorter, UnknownClientsAreIgnored) {
  DrfSorter sorter;
  sorter.addTotal(Q("cpus:4"));
  sorter.allocated("ghost", Q("cpus:1"));
  EXPECT_FALSE(sorter.contains("ghost"));
  EXPECT_DOUBLE_EQ(sorter.share("ghost"), 0.0);
  EXPECT_TRUE(sorter.sort().empty());
  sorter.add("a");
  sorter.add("a");
  sorter.allocated("a", Q("cpus:1"));
  sorter.add("a");  // adding again keeps what it holds
  EXPECT_DOUBLE_EQ(sorter.share("a"), 0.25);
  sorter.remove("a");
  EXPECT_TRUE(sorter.sort().empty());
}

}  // namespace
}  // namespace plexus::drf
