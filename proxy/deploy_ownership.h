// DeployOwnership: whether this sealgate runs the deploys of its metadata
// schema (DESIGN.md §8, several proxy instances on one database).
//
// Exactly one instance owns them: the one whose migration Engine holds the
// schema's lease (migration/engine_lease.h). Every other instance is a
// standby: it proxies, answers deploy statements with an error naming the
// owner, and tries to take the lease every `retry` — when it gets it (the
// owner died, or lost its lease), it opens the Engine and the DeployController
// there and then, which resumes every named deploy and staged migration from
// the metadata schema, as a restart does.
//
// An owner whose Engine finds its lease lost has already fenced itself (the
// Engine stops all work); this drops it and goes back to trying, so it owns
// again if the lease is still free, or stands by.
//
// Thread-safety: Current(), UnavailableReason() and owner() may be called from
// any thread (the event loops call them for deploy statements); a service
// handed out stays alive for as long as its holder keeps the pointer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/log.h"
#include "common/status.h"
#include "deploy/deploy_controller.h"
#include "migration/engine.h"

namespace sealgate::proxy {

// The live deploy side of an owner. The controller goes before the engine it uses.
struct DeployService {
  std::unique_ptr<migration::Engine> engine;
  std::unique_ptr<deploy::DeployController> controller;
  ~DeployService() {
    controller.reset();
    engine.reset();
  }
};

struct DeployOwnershipOptions {
  // Opens the engine (taking the lease, waiting for it at most `wait`) and
  // the controller; an error says why this instance cannot own the deploys
  // now (e.g. who does). The first try waits a little (a restarted instance's
  // predecessor may still be closing its lease); the later ones do not.
  std::function<StatusOr<std::shared_ptr<DeployService>>(std::chrono::seconds wait)> open;
  std::chrono::seconds first_wait{3};
  std::chrono::milliseconds retry{1000};  // a standby tries this often
  std::chrono::milliseconds watch{100};   // an owner looks at its engine's lease this often
  Logger* logger = nullptr;               // not owned; may be null
};

class DeployOwnership {
 public:
  explicit DeployOwnership(DeployOwnershipOptions options) : options_(std::move(options)) {}
  ~DeployOwnership() { Stop(); }
  DeployOwnership(const DeployOwnership&) = delete;
  DeployOwnership& operator=(const DeployOwnership&) = delete;

  // Tries once now (so the start-up line can tell), then keeps watching on a thread.
  void Start();
  // Ends the thread; the service (if any) stays until Release().
  void Stop();
  // Drops this instance's reference to the service (shutdown).
  void Release();

  // The live service, or null while standing by.
  std::shared_ptr<DeployService> Current() const;
  bool owner() const { return Current() != nullptr; }
  // Why deploys are unavailable here (Ok while owner). Another instance
  // owning them carries error::kDeployNotOwner.
  Status Unavailable() const;

 private:
  void Run();
  void TryOpen(std::chrono::seconds wait);

  DeployOwnershipOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<DeployService> current_;  // GUARDED_BY(mu_)
  Status unavailable_;                      // GUARDED_BY(mu_)
  bool stop_ = false;                       // GUARDED_BY(mu_)
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace sealgate::proxy
