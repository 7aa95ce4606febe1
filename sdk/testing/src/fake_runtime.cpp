#include <algorithm>
#include <thread>

#include <plexus/logging.hpp>
#include <plexus/testing/fake_runtime.hpp>

namespace plexus::testing {

namespace {
// A test whose callbacks keep re-posting themselves would otherwise hang.
constexpr std::size_t kMaxCallbacksPerRun = 1'000'000;
}  // namespace

FakeRuntime::FakeRuntime(TimePoint start, std::chrono::system_clock::time_point wallStart)
    : now_(start), wallNow_(wallStart) {}

FakeRuntime::~FakeRuntime() = default;

Runtime::TimePoint FakeRuntime::now() const {
  return now_;
}

std::chrono::system_clock::time_point FakeRuntime::wallNow() const {
  return wallNow_;
}

Runtime::TimerId FakeRuntime::schedule(Duration delay, std::function<void()> callback) {
  const TimerId id = nextTimerId_++;
  const TimePoint due = now_ + std::max(delay, Duration::zero());
  timers_.emplace(TimerKey{due, id}, std::move(callback));
  dueTimes_.emplace(id, due);
  return id;
}

void FakeRuntime::cancel(TimerId timer) {
  auto found = dueTimes_.find(timer);
  if (found == dueTimes_.end()) return;
  timers_.erase(TimerKey{found->second, timer});
  dueTimes_.erase(found);
}

void FakeRuntime::post(std::function<void()> callback) {
  std::lock_guard lock(postedMutex_);
  posted_.push_back(std::move(callback));
}

std::size_t FakeRuntime::pendingPosted() const {
  std::lock_guard lock(postedMutex_);
  return posted_.size();
}

Runtime::TimePoint FakeRuntime::nextTimerDue() const {
  return timers_.empty() ? TimePoint::max() : timers_.begin()->first.first;
}

std::size_t FakeRuntime::runPosted() {
  std::size_t ran = 0;
  for (;;) {
    std::function<void()> callback;
    {
      std::lock_guard lock(postedMutex_);
      if (posted_.empty()) return ran;
      callback = std::move(posted_.front());
      posted_.pop_front();
    }
    PLEXUS_CHECK(++ran <= kMaxCallbacksPerRun)
        << "FakeRuntime::runPosted: callbacks keep posting callbacks (livelock?)";
    // Run outside the lock: the callback may post.
    if (callback) callback();
  }
}

bool FakeRuntime::runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    runPosted();
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    advance(std::chrono::milliseconds(5));
  }
}

void FakeRuntime::advance(Duration delta) {
  PLEXUS_CHECK(delta >= Duration::zero()) << "FakeRuntime::advance: negative duration";
  const TimePoint target = now_ + delta;
  runPosted();
  for (;;) {
    auto earliest = timers_.begin();
    if (earliest == timers_.end() || earliest->first.first > target) break;
    const auto [due, id] = earliest->first;
    std::function<void()> callback = std::move(earliest->second);
    timers_.erase(earliest);
    dueTimes_.erase(id);
    wallNow_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(due - now_);
    now_ = due;
    if (callback) callback();
    runPosted();
  }
  wallNow_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(target - now_);
  now_ = target;
}

}  // namespace plexus::testing
