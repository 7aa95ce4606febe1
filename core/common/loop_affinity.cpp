#include "common/loop_affinity.hpp"

#include <atomic>

namespace plexus {
namespace {

// std::thread::id is trivially copyable, so it can be atomic; a default id means
// no loop is bound.
std::atomic<std::thread::id> loopThread{};

}  // namespace

void LoopAffinity::bindToThisThread() noexcept {
  loopThread.store(std::this_thread::get_id(), std::memory_order_relaxed);
}

void LoopAffinity::unbind() noexcept {
  loopThread.store(std::thread::id(), std::memory_order_relaxed);
}

bool LoopAffinity::onLoop() noexcept {
  std::thread::id loop = loopThread.load(std::memory_order_relaxed);
  return loop == std::thread::id() || loop == std::this_thread::get_id();
}

}  // namespace plexus
