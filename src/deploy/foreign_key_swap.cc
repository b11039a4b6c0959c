#include "deploy/foreign_key_swap.h"

#include <map>
#include <set>

namespace sealgate::deploy {

using migration::QuoteIdent;
using migration::QuoteTable;
using migration::SqlConn;

namespace {

std::string NameList(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + QuoteIdent(n);
  return out;
}

// Fields are separated by tabs, list items by commas, keys by newlines.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '\t' || c == '\n' || c == ',') {
      char buf[4];
      snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string JoinEscaped(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + Escape(items[i]);
  return out;
}

std::vector<std::string> SplitUnescaped(const std::string& s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  for (const auto& part : Split(s, ',')) out.push_back(Unescape(part));
  return out;
}

// The temporary name a child's key has while it is pointed at the live table.
std::string TemporaryName(const std::string& name) { return ("~" + name).substr(0, 64); }

// Name -> referenced (schema, table) of the keys of `table`.
StatusOr<std::map<std::string, sql::TableName>> KeysOf(SqlConn& conn, const sql::TableName& table) {
  auto rows = conn.Query("SELECT CONSTRAINT_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME FROM "
                         "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = " +
                         conn.Quote(table.schema) + " AND TABLE_NAME = " + conn.Quote(table.name));
  if (!rows.ok()) return rows.status();
  std::map<std::string, sql::TableName> out;
  for (const auto& r : *rows) out[r[0].value_or("")] = {r[1].value_or(""), r[2].value_or("")};
  return out;
}

Status Alter(SqlConn& conn, const sql::TableName& table, const std::vector<std::string>& specs) {
  if (specs.empty()) return Status::Ok();
  std::string sql = "ALTER TABLE " + QuoteTable(table.schema, table.name) + " ";
  for (size_t i = 0; i < specs.size(); ++i) sql += (i ? ", " : "") + specs[i];
  Status s = conn.Exec(sql + ", ALGORITHM=INSTANT");
  return s.ok() ? s : s.Annotate("restoring foreign keys");
}

}  // namespace

std::string ForeignKey::Clause(const std::string& parent_name) const {
  std::string out = "CONSTRAINT " + QuoteIdent(name) + " FOREIGN KEY (" + NameList(columns) + ") REFERENCES " +
                    QuoteTable(parent.schema, parent_name.empty() ? parent.name : parent_name) + " (" +
                    NameList(parent_columns) + ")";
  if (on_delete != "RESTRICT") out += " ON DELETE " + on_delete;
  if (on_update != "RESTRICT") out += " ON UPDATE " + on_update;
  return out;
}

bool ForeignKey::Cascades() const {
  auto acts = [](const std::string& rule) { return rule != "RESTRICT" && rule != "NO ACTION"; };
  return acts(on_delete) || acts(on_update);
}

StatusOr<std::vector<ForeignKey>> ReadForeignKeys(SqlConn& conn, const sql::TableName& table) {
  auto rows = conn.Query(
      "SELECT rc.CONSTRAINT_NAME, rc.CONSTRAINT_SCHEMA, rc.TABLE_NAME, rc.UNIQUE_CONSTRAINT_SCHEMA, "
      "rc.REFERENCED_TABLE_NAME, rc.DELETE_RULE, rc.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME "
      "FROM information_schema.REFERENTIAL_CONSTRAINTS rc JOIN information_schema.KEY_COLUMN_USAGE k "
      "ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME "
      "AND k.TABLE_NAME = rc.TABLE_NAME AND k.REFERENCED_TABLE_NAME IS NOT NULL "
      "WHERE (rc.CONSTRAINT_SCHEMA = " + conn.Quote(table.schema) + " AND rc.TABLE_NAME = " +
      conn.Quote(table.name) + ") OR (rc.UNIQUE_CONSTRAINT_SCHEMA = " + conn.Quote(table.schema) +
      " AND rc.REFERENCED_TABLE_NAME = " + conn.Quote(table.name) +
      ") ORDER BY rc.CONSTRAINT_SCHEMA, rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION");
  if (!rows.ok()) return rows.status();
  std::vector<ForeignKey> out;
  for (const auto& r : *rows) {
    sql::TableName child = {r[1].value_or(""), r[2].value_or("")};
    const std::string name = r[0].value_or("");
    if (out.empty() || out.back().name != name || !(out.back().child == child)) {
      ForeignKey k;
      k.name = name;
      k.child = child;
      k.parent = {r[3].value_or(""), r[4].value_or("")};
      k.on_delete = r[5].value_or("RESTRICT");
      k.on_update = r[6].value_or("RESTRICT");
      out.push_back(std::move(k));
    }
    out.back().columns.push_back(r[7].value_or(""));
    out.back().parent_columns.push_back(r[8].value_or(""));
  }
  return out;
}

std::string SerializeForeignKeys(const std::vector<ForeignKey>& keys) {
  std::string out;
  for (const auto& k : keys) {
    out += Escape(k.name) + "\t" + Escape(k.child.schema) + "\t" + Escape(k.child.name) + "\t" +
           JoinEscaped(k.columns) + "\t" + Escape(k.parent.schema) + "\t" + Escape(k.parent.name) + "\t" +
           JoinEscaped(k.parent_columns) + "\t" + Escape(k.on_delete) + "\t" + Escape(k.on_update) + "\n";
  }
  return out;
}

std::vector<ForeignKey> ParseForeignKeys(const std::string& text) {
  std::vector<ForeignKey> out;
  for (const auto& line : Split(text, '\n')) {
    auto f = Split(line, '\t');
    if (f.size() != 9) continue;
    ForeignKey k;
    k.name = Unescape(f[0]);
    k.child = {Unescape(f[1]), Unescape(f[2])};
    k.columns = SplitUnescaped(f[3]);
    k.parent = {Unescape(f[4]), Unescape(f[5])};
    k.parent_columns = SplitUnescaped(f[6]);
    k.on_delete = Unescape(f[7]);
    k.on_update = Unescape(f[8]);
    out.push_back(std::move(k));
  }
  return out;
}

std::vector<sql::TableName> RelatedTables(const sql::TableName& table, const std::vector<ForeignKey>& keys) {
  std::vector<sql::TableName> out;
  auto add = [&](const sql::TableName& t) {
    if (t == table) return;
    for (const auto& o : out) {
      if (o == t) return;
    }
    out.push_back(t);
  };
  for (const auto& k : keys) {
    add(k.child);
    add(k.parent);
  }
  return out;
}

Status RestoreForeignKeys(SqlConn& conn, const sql::TableName& table, const std::string& kept,
                          const std::vector<ForeignKey>& keys) {
  if (keys.empty()) return Status::Ok();
  SEALGATE_RETURN_IF_ERROR(conn.Exec("SET SESSION foreign_key_checks = 0"));
  const sql::TableName kept_table = {table.schema, kept};
  // 1. The kept table keeps none of its own.
  auto kept_keys = KeysOf(conn, kept_table);
  if (!kept_keys.ok()) return kept_keys.status();
  std::vector<std::string> drops;
  for (const auto& [name, parent] : *kept_keys) drops.push_back("DROP FOREIGN KEY " + QuoteIdent(name));
  SEALGATE_RETURN_IF_ERROR(Alter(conn, kept_table, drops));
  // 2. The live table has its own back.
  auto live_keys = KeysOf(conn, table);
  if (!live_keys.ok()) return live_keys.status();
  std::vector<std::string> adds;
  for (const auto& k : keys) {
    if (k.child == table && !live_keys->count(k.name)) adds.push_back("ADD " + k.Clause());
  }
  SEALGATE_RETURN_IF_ERROR(Alter(conn, table, adds));
  // 3. Each child's key references the live table again, under its name.
  std::map<std::pair<std::string, std::string>, std::vector<const ForeignKey*>> children;
  for (const auto& k : keys) {
    if (k.parent == table && !(k.child == table)) children[{k.child.schema, k.child.name}].push_back(&k);
  }
  for (const auto& [child_name, child_keys] : children) {
    const sql::TableName child = {child_name.first, child_name.second};
    auto current = KeysOf(conn, child);
    if (!current.ok()) return current.status();
    std::vector<std::string> to_temporary, to_own;
    for (const ForeignKey* k : child_keys) {
      auto own = current->find(k->name);
      const std::string temporary = TemporaryName(k->name);
      if (own != current->end() && own->second == table) continue;  // done
      if (own != current->end()) {
        to_temporary.push_back("DROP FOREIGN KEY " + QuoteIdent(k->name));
        ForeignKey t = *k;
        t.name = temporary;
        to_temporary.push_back("ADD " + t.Clause());
      } else if (!current->count(temporary)) {
        continue;  // the child lost the key meanwhile (dropped by someone): nothing to point
      }
      to_own.push_back("DROP FOREIGN KEY " + QuoteIdent(temporary));
      to_own.push_back("ADD " + k->Clause());
    }
    SEALGATE_RETURN_IF_ERROR(Alter(conn, child, to_temporary));
    SEALGATE_RETURN_IF_ERROR(Alter(conn, child, to_own));
  }
  return Status::Ok();
}

}  // namespace sealgate::deploy
