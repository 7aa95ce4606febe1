// A Server on 127.0.0.1:<ephemeral> running on a LoopThread, for the socket tests.
// Routes added before start() are registered on the loop thread; everything the
// tests do to the server goes through loop.run().
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "http/server.hpp"
#include "test_util.hpp"

namespace plexus::http::testing {

class ServerFixture : public ::testing::Test {
 protected:
  void route(std::string path, Handler handler) {
    if (server) {
      loop.run([&] { ASSERT_TRUE(server->route(path, std::move(handler)).has_value()); });
    } else {
      routes_.emplace_back(std::move(path), std::move(handler));
    }
  }

  void start(ServerOptions options = {}) {
    loop.run([&] {
      server = std::make_unique<Server>(loop.io, options);
      for (auto& [path, handler] : routes_) {
        ASSERT_TRUE(server->route(path, std::move(handler)).has_value());
      }
      auto listening = server->listen("127.0.0.1", 0);
      ASSERT_TRUE(listening.has_value()) << listening.error().message();
      port = server->port();
    });
    ASSERT_NE(port, 0);
  }

  std::size_t connections() {
    return loop.run([&] { return server ? server->connectionCount() : 0; });
  }

  void TearDown() override {
    loop.run([&] { server.reset(); });
  }

  LoopThread loop;
  std::unique_ptr<Server> server;
  std::uint16_t port = 0;

 private:
  std::vector<std::pair<std::string, Handler>> routes_;
};

}  // namespace plexus::http::testing
