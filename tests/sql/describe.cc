#include "describe.h"

#include <sstream>

namespace sealgate::sql::testing {
namespace {

std::string Table(const TableName& t) { return t.schema.empty() ? t.name : t.schema + "." + t.name; }

const char* ScopePrefix(VariableScope s) {
  switch (s) {
    case VariableScope::kSession: return "";
    case VariableScope::kGlobal: return "global.";
    case VariableScope::kPersist: return "persist.";
    case VariableScope::kPersistOnly: return "persist_only.";
  }
  return "?";
}

void DescribeSession(const Statement& s, std::ostringstream& o) {
  if (!s.assignments.empty()) {
    o << " vars=";
    for (size_t i = 0; i < s.assignments.size(); ++i) {
      o << (i ? "," : "") << ScopePrefix(s.assignments[i].scope) << s.assignments[i].name;
    }
  }
  if (s.global) o << " global";
  if (s.read_only) o << " ro";
  if (s.chain) o << " chain";
  if (s.release) o << " release";
  static const char* kXa[] = {"", "start", "end", "prepare", "commit", "rollback", "recover"};
  if (s.xa_action != XaAction::kNone) o << " xa=" << kXa[static_cast<int>(s.xa_action)];
  static const char* kHandler[] = {"", "open", "read", "close"};
  if (s.handler_action != HandlerAction::kNone) o << " handler=" << kHandler[static_cast<int>(s.handler_action)];
  if (!s.database.empty()) o << " db=" << s.database;
  if (s.calls_get_lock && s.kind != StatementKind::kGetLock) o << " get_lock";
  if (s.calls_release_lock && s.kind != StatementKind::kReleaseLock) o << " release_lock";
}

void DescribeDeploy(const Statement& s, std::ostringstream& o) {
  if (s.deploy_name) o << " name=" << *s.deploy_name;
  if (s.commit_at) o << " at=" << *s.commit_at;
  static const char* kActions[] = {"", "throttle", "unthrottle", "pause", "resume"};
  if (s.deploy_action != AlterDeployAction::kNone) o << " action=" << kActions[static_cast<int>(s.deploy_action)];
  if (s.throttle_ratio) o << " ratio=" << *s.throttle_ratio;
  if (!s.syntax_error.empty()) o << " error";
}

}  // namespace

std::string Describe(const Statement& s) {
  std::ostringstream o;
  o << StatementKindName(s.kind);
  for (const TableName& t : s.tables) o << " " << Table(t);
  if (s.like_table) o << " like=" << Table(*s.like_table);
  if (s.create_select) o << " select";
  if (s.if_exists) o << " if_exists";
  if (s.if_not_exists) o << " if_not_exists";
  if (s.temporary) o << " temporary";
  if (s.or_replace) o << " or_replace";
  if (!s.index_name.empty()) o << " index=" << s.index_name;
  if (s.toggles_keys_only) o << " keys_only";
  DescribeDeploy(s, o);
  if (!s.prepared_name.empty()) o << " stmt=" << s.prepared_name;
  if (!s.inner_sql.empty()) o << " inner=[" << s.inner_sql << "]";
  if (!s.inner_sql_variable.empty()) o << " from=@" << s.inner_sql_variable;
  if (s.inner_sql_is_expression) o << " expr";
  DescribeSession(s, o);
  return o.str();
}

}  // namespace sealgate::sql::testing
