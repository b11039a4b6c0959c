// Polling for the end-to-end tests: a condition the server or the proxy
// reaches on its own time.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace sealgate::test {

// Polls `done` every 50 ms until it holds or `limit` passes; its last answer.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace sealgate::test
