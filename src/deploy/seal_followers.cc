#include "deploy/seal_followers.h"

#include <future>

namespace sealgate::deploy {

SealFollowers::~SealFollowers() {
  DiscardWhere([](size_t) { return true; });
}

void SealFollowers::DiscardWhere(const std::function<bool(size_t)>& which) {
  bool changed = false;
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (!ids_[i] || !which(i)) continue;
    (void)engine_->Discard(ids_[i]);
    ids_[i] = 0;
    started_[i] = false;
    changed = true;
  }
  if (changed) record_(ids_);
}

Status SealFollowers::Prepare(const std::vector<DeployItem>& items) {
  ids_.resize(items.size(), 0);
  started_.resize(items.size(), false);
  std::vector<std::future<StatusOr<uint64_t>>> prepared(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].kind != ItemKind::kAlter || ids_[i]) continue;
    prepared[i] = std::async(std::launch::async, [this, &items, i] {
      return engine_->PrepareInverse(items[i].migration_id, items[i].old_name);
    });
  }
  Status first;
  bool changed = false;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!prepared[i].valid()) continue;
    auto id = prepared[i].get();
    if (id.ok()) {
      ids_[i] = *id;
      changed = true;
    } else if (first.ok()) {
      first = id.status().Annotate("preparing the follower of " + items[i].table.name);
    }
  }
  if (changed) record_(ids_);
  return first;
}

Status SealFollowers::StartIn(const std::vector<DeployItem>& items, const std::string& schema) {
  // Nothing is written to the held originals from here to the swap: this
  // position is exactly where the followers' tables start to differ.
  auto from = engine_->ServerPosition();
  if (!from.ok()) return from.status();
  std::vector<migration::Engine::FollowerStart> starting;
  for (size_t i = 0; i < items.size() && i < ids_.size(); ++i) {
    if (items[i].kind != ItemKind::kAlter || items[i].table.schema != schema) continue;
    if (!ids_[i]) return Status::FailedPrecondition("no follower prepared for " + items[i].table.name);
    started_[i] = true;  // discarded if the attempt is abandoned, whether or not it got going
    // Into a table that keeps its triggers until they are moved: paused until then.
    const bool paused = !items[i].triggers.empty();
    if (paused) paused_.push_back(ids_[i]);
    starting.push_back({ids_[i], paused});
  }
  return engine_->StartPrepared(starting, *from);
}

void SealFollowers::Abandoned() {
  DiscardWhere([this](size_t i) { return started_[i]; });
  paused_.clear();
}

void SealFollowers::ResumePaused() {
  for (uint64_t id : paused_) (void)engine_->Resume(id);
  paused_.clear();
}

std::vector<uint64_t> SealFollowers::Handover() {
  std::vector<uint64_t> out = ids_;
  ids_.assign(ids_.size(), 0);
  started_.assign(started_.size(), false);
  return out;
}

}  // namespace sealgate::deploy
