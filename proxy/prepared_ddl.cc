#include "proxy/prepared_ddl.h"

#include <cctype>

namespace sealgate::proxy {

void PreparedDdl::OnBinaryPrepareSent(std::optional<std::string> ddl) { binary_pending_.push_back(std::move(ddl)); }

void PreparedDdl::OnBinaryPrepareDone(bool ok, uint32_t statement_id) {
  if (binary_pending_.empty()) return;
  std::optional<std::string> ddl = std::move(binary_pending_.front());
  binary_pending_.pop_front();
  if (!ok) return;
  last_binary_id_ = statement_id;
  if (ddl) {
    by_id_[statement_id] = std::move(*ddl);
  } else {
    by_id_.erase(statement_id);  // an id the server hands out again
  }
}

const std::string* PreparedDdl::FindBinary(uint32_t id) const {
  if (id == 0xffffffffu) {
    if (!last_binary_id_) return nullptr;
    id = *last_binary_id_;
  }
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

void PreparedDdl::OnSqlPrepareSent(const std::string& name, std::optional<std::string> ddl) {
  sql_pending_.push_back({Key(name), std::move(ddl), false});
}

void PreparedDdl::OnSqlDeallocateSent(const std::string& name) { sql_pending_.push_back({Key(name), std::nullopt, true}); }

void PreparedDdl::OnSqlDone(bool ok) {
  if (sql_pending_.empty()) return;
  SqlPending done = std::move(sql_pending_.front());
  sql_pending_.pop_front();
  if (!done.deallocate && ok && done.ddl) {
    by_name_[done.key] = std::move(*done.ddl);
  } else {
    by_name_.erase(done.key);
  }
}

const std::string* PreparedDdl::FindSql(const std::string& name) const {
  auto it = by_name_.find(Key(name));
  return it == by_name_.end() ? nullptr : &it->second;
}

void PreparedDdl::Clear() {
  last_binary_id_.reset();
  by_id_.clear();
  by_name_.clear();
}

std::string PreparedDdl::Key(const std::string& name) {
  std::string key = name;
  for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return key;
}

}  // namespace sealgate::proxy
