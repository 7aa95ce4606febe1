// Which child of the group leads: the json.info_ node with the lowest sequence.
#include <gtest/gtest.h>

#include "zk_detector.hpp"

namespace plexus::detector_zk {
namespace {

TEST(LeaderChild, LowestSequenceAmongJsonInfoChildren) {
  EXPECT_EQ(leaderChild({"json.info_0000000012", "json.info_0000000003", "json.info_0000000007"}),
            "json.info_0000000003");
}

TEST(LeaderChild, SkipsOtherChildren) {
  // log_replicas (Mesos's registry), old-style labels and unnumbered names never lead.
  EXPECT_EQ(leaderChild({"log_replicas", "info_0000000001", "0000000000", "json.info_",
                         "json.info_abc", "json.info_0000000009"}),
            "json.info_0000000009");
  EXPECT_EQ(leaderChild({"log_replicas"}), std::nullopt);
  EXPECT_EQ(leaderChild({}), std::nullopt);
}

TEST(LeaderChild, ComparesNumbersNotText) {
  EXPECT_EQ(leaderChild({"json.info_10", "json.info_9"}), "json.info_9");
}

}  // namespace
}  // namespace plexus::detector_zk
