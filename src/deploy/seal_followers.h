// SealFollowers: the followers of one seal (or revert) of a deploy — one per
// ALTER item, replicating the swapped table the other way so the swap can be
// undone (DESIGN.md §4 step 7). Everything that takes time happens before the
// hold: Prepare records each follower (state 'pending', never resumed) and
// connects it. Under the hold, while the RENAME holds a database's originals,
// StartIn records where each follower of that database follows from and
// starts them: one position read and one UPDATE for all of them — the one
// metadata write under the hold, which must be durable before any client
// writes to a swapped table (else a stop right after the hold would leave a
// revert nowhere to start from). Paused when the table has triggers still
// to move: ResumePaused.
// A follower started by an attempt that was then abandoned is discarded (the
// next attempt prepares a fresh one); a prepared one is kept for the next
// attempt. Whatever was not handed over (Handover) is discarded when the
// object goes. The ids are recorded in the deploy's items (Record) whenever
// they change, before any swap can land.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "deploy/deploy.h"
#include "migration/engine.h"

namespace sealgate::deploy {

class SealFollowers {
 public:
  // Persists the follower id of each item (0: none); items without one untouched.
  using Record = std::function<void(const std::vector<uint64_t>&)>;

  SealFollowers(migration::Engine* engine, Record record) : engine_(engine), record_(std::move(record)) {}
  ~SealFollowers();
  SealFollowers(const SealFollowers&) = delete;
  SealFollowers& operator=(const SealFollowers&) = delete;

  // Prepares a follower for every ALTER item that has none (in parallel).
  Status Prepare(const std::vector<DeployItem>& items);
  // Under the hold: starts the prepared followers of the items in `schema`.
  Status StartIn(const std::vector<DeployItem>& items, const std::string& schema);
  // The attempt ended without renaming: the followers it started are discarded.
  void Abandoned();
  // The swap landed: the followers now belong to the deploy's items.
  std::vector<uint64_t> Handover();
  // The followers StartIn started paused — those into a table that keeps
  // its triggers until SettleTriggers moves them (their writes must not fire
  // them) — go on.
  void ResumePaused();

 private:
  void DiscardWhere(const std::function<bool(size_t)>& which);

  migration::Engine* engine_;
  Record record_;
  std::vector<uint64_t> ids_;   // per item; 0: none
  std::vector<bool> started_;   // per item
  std::vector<uint64_t> paused_;  // started paused, not resumed yet
};

}  // namespace sealgate::deploy
