#include "proxy/deploy_ownership.h"

#include "sql/errors.h"

namespace sealgate::proxy {

void DeployOwnership::Start() {
  TryOpen(options_.first_wait);
  thread_ = std::thread([this] { Run(); });
}

void DeployOwnership::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeployOwnership::Release() {
  std::shared_ptr<DeployService> last;
  std::lock_guard<std::mutex> lock(mu_);
  last = std::move(current_);
}

std::shared_ptr<DeployService> DeployOwnership::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  // A fenced engine stops counting as owner at once, not at the next watch.
  if (current_ && current_->engine->lease_lost()) return nullptr;
  return current_;
}

Status DeployOwnership::Unavailable() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (current_ && current_->engine->lease_lost()) {
    return Status::FailedPrecondition("this sealgate lost the deploy lease and stands by")
        .WithMysqlError(error::kDeployNotOwner, error::kSqlstateGeneral);
  }
  return current_ ? Status::Ok() : unavailable_;
}

void DeployOwnership::TryOpen(std::chrono::seconds wait) {
  auto opened = options_.open(wait);
  Status reason = opened.ok() ? Status::Ok() : opened.status();
  std::string previous;
  {
    std::lock_guard<std::mutex> lock(mu_);
    previous = unavailable_.message();
    if (opened.ok()) current_ = *opened;
    unavailable_ = reason;
  }
  if (!options_.logger) return;
  if (opened.ok()) {
    options_.logger->Info("deploy", "this sealgate owns the deploys (deploy lease taken)");
  } else if (reason.message() != previous) {  // a standby retries every second: say it once
    options_.logger->Warn("deploy", "deploys are unavailable, proxying only: " + reason.message());
  }
}

void DeployOwnership::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const bool owning = current_ != nullptr;
    cv_.wait_for(lock, owning ? options_.watch : options_.retry, [this] { return stop_; });
    if (stop_) break;
    if (current_ && !current_->engine->lease_lost()) continue;
    std::shared_ptr<DeployService> lost = std::move(current_);
    if (lost) {
      // The engine fenced itself already; deploy statements get the standby
      // answer from now on. The service goes once its last request returns.
      unavailable_ = Status::FailedPrecondition("this sealgate lost the deploy lease and stands by")
                         .WithMysqlError(error::kDeployNotOwner, error::kSqlstateGeneral);
      lock.unlock();
      if (options_.logger) options_.logger->Warn("deploy", "lost the deploy lease: standing by");
      lost.reset();
      lock.lock();
      if (stop_) break;
    }
    lock.unlock();
    TryOpen(std::chrono::seconds(0));
    lock.lock();
  }
}

}  // namespace sealgate::proxy
