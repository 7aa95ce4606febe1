// The `rlimits` parameter's syntax and ContainerInfo.rlimit_info's rules.
#include "rlimits.hpp"

#include <gtest/gtest.h>

namespace plexus::posix {
namespace {

using Type = v1::RLimitInfo::RLimit::Type;

TEST(RLimitsParameter, Parses) {
  auto limits = parseRLimits(" nofile=1024:4096; RLMT_CORE=0 , stack=unlimited ");
  ASSERT_TRUE(limits.has_value()) << limits.error().message();
  ASSERT_EQ(limits->size(), 3u);
  EXPECT_EQ(limits->at(v1::RLimitInfo::RLimit::RLMT_NOFILE).soft, 1024u);
  EXPECT_EQ(limits->at(v1::RLimitInfo::RLimit::RLMT_NOFILE).hard, 4096u);
  EXPECT_EQ(limits->at(v1::RLimitInfo::RLimit::RLMT_CORE).soft, 0u);
  EXPECT_EQ(limits->at(v1::RLimitInfo::RLimit::RLMT_CORE).hard, 0u);
  EXPECT_FALSE(limits->at(v1::RLimitInfo::RLimit::RLMT_STACK).soft.has_value());
  EXPECT_TRUE(parseRLimits("")->empty());
}

TEST(RLimitsParameter, RefusesNonsense) {
  for (const char* text : {"NOFILE", "BOGUS=1", "NOFILE=ten", "NOFILE=10:5", "NOFILE=unlimited:5",
                           "NOFILE=1;NOFILE=2", "NOFILE=-1"}) {
    EXPECT_FALSE(parseRLimits(text).has_value()) << text;
  }
}

TEST(RLimitInfo, FollowsMesosRules) {
  v1::RLimitInfo info;
  auto* nproc = info.add_rlimits();
  nproc->set_type(v1::RLimitInfo::RLimit::RLMT_NPROC);
  nproc->set_soft(100);
  nproc->set_hard(200);
  auto* core = info.add_rlimits();
  core->set_type(v1::RLimitInfo::RLimit::RLMT_CORE);  // neither: unlimited
  auto limits = fromRLimitInfo(info);
  ASSERT_TRUE(limits.has_value()) << limits.error().message();
  EXPECT_EQ(limits->at(v1::RLimitInfo::RLimit::RLMT_NPROC).hard, 200u);
  EXPECT_FALSE(limits->at(v1::RLimitInfo::RLimit::RLMT_CORE).hard.has_value());

  core->set_soft(1);  // soft without hard
  EXPECT_FALSE(fromRLimitInfo(info).has_value());
  core->set_hard(0);  // soft > hard
  EXPECT_FALSE(fromRLimitInfo(info).has_value());
  v1::RLimitInfo unknown;
  unknown.add_rlimits()->set_type(v1::RLimitInfo::RLimit::UNKNOWN);
  EXPECT_FALSE(fromRLimitInfo(unknown).has_value());
}

}  // namespace
}  // namespace plexus::posix
