#include "deploy/trigger_swap.h"

#include <algorithm>
#include <functional>
#include <map>

#include "common/utf8.h"
#include "deploy/record_text.h"
#include "migration/session_settings.h"

namespace sealgate::deploy {

using migration::QuoteIdent;
using migration::QuoteTable;
using migration::SqlConn;

namespace {

// DEFINER as CREATE TRIGGER takes it: 'user'@'host', or a role's name.
std::string DefinerClause(SqlConn& conn, const std::string& definer) {
  size_t at = definer.rfind('@');
  if (at == std::string::npos) return QuoteIdent(definer);
  return conn.Quote(definer.substr(0, at)) + "@" + conn.Quote(definer.substr(at + 1));
}

// Creates `t` on `table` under `name`, with the trigger's own session settings.
Status CreateTrigger(SqlConn& conn, const Trigger& t, const sql::TableName& table, const std::string& name) {
  migration::SessionSettings own;
  own.values = {{"sql_mode", t.sql_mode},
                {"character_set_client", t.character_set_client},
                {"collation_connection", t.collation_connection}};
  return migration::WithSessionSettings(conn, own, [&] {
    return conn.Exec("CREATE DEFINER=" + DefinerClause(conn, t.definer) + " TRIGGER " +
                     QuoteTable(table.schema, name) + " " + t.timing + " " + t.event + " ON " +
                     QuoteTable(table.schema, table.name) + " FOR EACH ROW " + t.body);
  });
}

// Trigger name -> table, for the triggers on `tables` (of one database). One
// query per table, naming it: information_schema then opens that table only
// (never one the seal's RENAME holds).
StatusOr<std::map<std::string, std::string>> TriggersOn(SqlConn& conn, const std::string& schema,
                                                        const std::vector<std::string>& tables) {
  std::map<std::string, std::string> out;
  for (const auto& table : tables) {
    auto rows = conn.Query("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = " +
                           conn.Quote(schema) + " AND EVENT_OBJECT_TABLE = " + conn.Quote(table));
    if (!rows.ok()) return rows.status();
    for (const auto& r : *rows) out[r[0].value_or("")] = table;
  }
  return out;
}

}  // namespace

StatusOr<std::vector<Trigger>> ReadTriggers(SqlConn& conn, const sql::TableName& table) {
  auto rows = conn.Query(
      "SELECT TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT, DEFINER, SQL_MODE, "
      "CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = " +
      conn.Quote(table.schema) + " AND EVENT_OBJECT_TABLE = " + conn.Quote(table.name) +
      " ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER");
  if (!rows.ok()) return rows.status();
  std::vector<Trigger> out;
  for (const auto& r : *rows) {
    Trigger t{r[0].value_or(""), r[1].value_or(""), r[2].value_or(""), r[3].value_or(""),
              r[4].value_or(""), r[5].value_or(""), r[6].value_or(""), r[7].value_or("")};
    // information_schema gives the body as UTF-8; it was written (and is
    // created again) in the trigger's own character set.
    if (!IsAscii(t.body) && !migration::IsUtf8Charset(t.character_set_client)) {
      if (!IsAscii(t.character_set_client)) return Status::Internal("trigger character set " + t.character_set_client);
      auto bytes = conn.Scalar("SELECT HEX(CONVERT(ACTION_STATEMENT USING " + t.character_set_client +
                               ")) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = " +
                               conn.Quote(table.schema) + " AND EVENT_OBJECT_TABLE = " + conn.Quote(table.name) +
                               " AND TRIGGER_NAME = " + conn.Quote(t.name));
      if (!bytes.ok()) return bytes.status();
      t.body = migration::BytesFromHex(bytes->value_or(""));
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string SerializeTriggers(const std::vector<Trigger>& triggers) {
  std::string out;
  for (const auto& t : triggers) {
    out += EscapeField(t.name) + "\t" + EscapeField(t.timing) + "\t" + EscapeField(t.event) + "\t" + migration::HexBytes(t.body) +
           "\t" + EscapeField(t.definer) + "\t" + EscapeField(t.sql_mode) + "\t" + EscapeField(t.character_set_client) +
           "\t" + EscapeField(t.collation_connection) + "\n";
  }
  return out;
}

std::vector<Trigger> ParseTriggers(const std::string& text) {
  std::vector<Trigger> out;
  for (const auto& line : SplitAt(text, '\n')) {
    auto f = SplitAt(line, '\t');
    if (f.size() != 8) continue;
    out.push_back({UnescapeField(f[0]), UnescapeField(f[1]), UnescapeField(f[2]), migration::BytesFromHex(f[3]), UnescapeField(f[4]),
                   UnescapeField(f[5]), UnescapeField(f[6]), UnescapeField(f[7])});
  }
  return out;
}

std::string SwapTriggerName(const std::string& name) {
  char hash[16];
  std::snprintf(hash, sizeof hash, "%08zx", std::hash<std::string>{}(name) & 0xffffffffu);
  return "~" + std::string(Utf8Prefix(name, 54)) + "_" + hash;
}

Status AddSwapTriggers(SqlConn& conn, const std::vector<DeployItem>& items, const std::string& schema) {
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter || it.table.schema != schema) continue;
    const auto triggers = ParseTriggers(it.triggers);
    if (triggers.empty()) continue;
    auto there = TriggersOn(conn, schema, {it.shadow});
    if (!there.ok()) return there.status();
    for (const auto& t : triggers) {
      if (there->count(SwapTriggerName(t.name))) continue;
      SEALGATE_RETURN_IF_ERROR(CreateTrigger(conn, t, {schema, it.shadow}, SwapTriggerName(t.name)));
    }
  }
  return Status::Ok();
}

Status SettleTriggers(SqlConn& conn, const std::vector<DeployItem>& items) {
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    const auto triggers = ParseTriggers(it.triggers);
    if (triggers.empty()) continue;
    auto there = TriggersOn(conn, it.table.schema, {it.table.name, it.old_name});
    if (!there.ok()) return there.status();
    bool settled = true;
    for (const auto& t : triggers) {
      auto real = there->find(t.name);
      settled = settled && real != there->end() && real->second == it.table.name &&
                !there->count(SwapTriggerName(t.name));
    }
    if (settled) continue;
    // Nobody writes either table meanwhile: no write fires both sets, or neither.
    auto wait = conn.Scalar("SELECT @@SESSION.lock_wait_timeout");
    SEALGATE_RETURN_IF_ERROR(conn.Exec("SET SESSION lock_wait_timeout = 5"));
    Status st = conn.Exec("LOCK TABLES " + QuoteTable(it.table.schema, it.table.name) + " WRITE, " +
                          QuoteTable(it.table.schema, it.old_name) + " WRITE");
    // The live table gets every trigger again, in order, once the kept one
    // has let go of the names.
    for (const auto& t : triggers) {
      if (st.ok() && there->count(t.name)) st = conn.Exec("DROP TRIGGER " + QuoteTable(it.table.schema, t.name));
    }
    for (const auto& t : triggers) {
      if (st.ok()) st = CreateTrigger(conn, t, it.table, t.name);
    }
    for (const auto& t : triggers) {
      if (st.ok() && there->count(SwapTriggerName(t.name))) {
        st = conn.Exec("DROP TRIGGER " + QuoteTable(it.table.schema, SwapTriggerName(t.name)));
      }
    }
    (void)conn.Exec("UNLOCK TABLES");
    if (wait.ok() && wait->has_value()) (void)conn.Exec("SET SESSION lock_wait_timeout = " + **wait);
    if (!st.ok()) return st.Annotate("moving the triggers of " + QuoteTable(it.table.schema, it.table.name));
  }
  return Status::Ok();
}

Status ClearSwapTriggers(SqlConn& conn, const std::vector<DeployItem>& items) {
  Status first = Status::Ok();
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    for (const auto& t : ParseTriggers(it.triggers)) {
      Status st = conn.Exec("DROP TRIGGER IF EXISTS " + QuoteTable(it.table.schema, SwapTriggerName(t.name)));
      if (first.ok()) first = st;
    }
  }
  return first;
}

Status CheckTriggersCanMove(SqlConn& conn, const sql::TableName& table, const std::string& shadow,
                            const std::vector<Trigger>& triggers) {
  std::vector<std::string> tried;
  for (const auto& t : triggers) {
    if (std::find(tried.begin(), tried.end(), t.definer) != tried.end()) continue;
    tried.push_back(t.definer);
    Trigger probe = t;
    probe.body = "DO 0";
    const std::string name = SwapTriggerName("probe " + t.name);
    Status made = CreateTrigger(conn, probe, {table.schema, shadow}, name);
    const std::string why = made.ok() ? "" : conn.server_error();
    (void)conn.Exec("DROP TRIGGER IF EXISTS " + QuoteTable(table.schema, name));
    if (made.ok()) continue;
    return DeployError(error::kDeployUnsupported,
                       "trigger " + QuoteIdent(t.name) + " of " + QuoteTable(table.schema, table.name) +
                           " is defined by " + t.definer + ", and sealgate's account cannot create it again on the new "
                           "table at the seal (" + why + "): grant that account SET USER (SUPER "
                           "before MariaDB 10.5.2), or drop the trigger and create it after the seal",
                       error::kSqlstateNotSupported);
  }
  return Status::Ok();
}

Status CheckTriggersUnchanged(SqlConn& conn, const std::vector<DeployItem>& items) {
  for (const auto& it : items) {
    if (it.kind != ItemKind::kAlter) continue;
    auto now = ReadTriggers(conn, it.table);
    if (!now.ok()) return now.status();
    if (SerializeTriggers(*now) == it.triggers) continue;
    return DeployError(error::kDeployUnsupported,
                       "the triggers of " + QuoteTable(it.table.schema, it.table.name) +
                           " changed after it was staged (the swap would lose the change): ROLLBACK DEPLOY and "
                           "stage it again",
                       error::kSqlstateNotSupported);
  }
  return Status::Ok();
}

}  // namespace sealgate::deploy
