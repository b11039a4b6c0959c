// DeployController: where a waiting COMMIT DEPLOY, REVERT DEPLOY or online
// ALTER stands, for the client's progress reports. A COMMIT has three
// stages: copying the rows (its percent is the rows copied of all the
// deploy's tables), checking the copy (the checksum), sealing (waiting for
// what blocks the RENAME, then the hold); a REVERT has one.
#include <algorithm>

#include "common/utf8.h"
#include "deploy/deploy_controller.h"

namespace sealgate::deploy {

namespace {

// The stage's name as the client prints it, with why it waits when it does.
std::string Named(const std::string& stage, const std::string& last_error) {
  constexpr size_t kMax = 120;
  std::string name = stage;
  if (last_error.rfind("waiting: ", 0) == 0) name += " (" + last_error + ")";
  if (name.size() > kMax) name = std::string(Utf8Prefix(name, kMax));
  return name;
}

}  // namespace

std::optional<WaitProgress> DeployController::ProgressOfWait(uint64_t session_id) {
  std::vector<DeployItem> items;
  bool checked = false, reverting = false;
  std::string last_error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(deploys_.begin(), deploys_.end(), [&](const auto& entry) {
      return entry.second.busy && entry.second.waiter == session_id && session_id != 0;
    });
    if (it == deploys_.end()) return std::nullopt;
    const Entry& e = it->second;
    if (e.deploy.state != DeployState::kSealing && e.deploy.state != DeployState::kReverting) return std::nullopt;
    items = e.deploy.items;
    checked = e.checked || !options_.verify_checksum;
    reverting = e.deploy.state == DeployState::kReverting;
    last_error = e.deploy.last_error;
  }
  WaitProgress p;
  if (reverting) {
    p.stage_name = Named("swapping back", last_error);
    return p;
  }
  p.max_stage = 3;
  if (!checked) {
    // Rows copied of the rows each table is expected to have (the estimate
    // grows with the copy when the table outgrows it).
    uint64_t copied = 0, total = 0;
    bool copying = false;
    for (const auto& item : items) {
      if (item.kind != ItemKind::kAlter) continue;
      auto m = options_.engine->Progress(item.migration_id);
      if (!m.ok()) continue;
      copying = copying || m->state == migration::MigrationState::kCopying;
      copied += m->rows_copied;
      total += std::max(m->rows_estimated, m->rows_copied);
    }
    if (copying) {
      p.stage = 1;
      p.percent = total == 0 ? 0 : 100.0 * static_cast<double>(copied) / static_cast<double>(total);
      p.stage_name = "copying rows";
      return p;
    }
    p.stage = 2;
    p.stage_name = Named("checking the copy", last_error);
    return p;
  }
  p.stage = 3;
  p.stage_name = Named("sealing", last_error);
  return p;
}

}  // namespace sealgate::deploy
