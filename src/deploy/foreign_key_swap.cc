#include "deploy/foreign_key_swap.h"

#include "deploy/record_text.h"

#include <algorithm>
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
  return s.ok() ? s : s.Annotate("moving foreign keys across the swap");
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
    out += EscapeField(k.name) + "\t" + EscapeField(k.child.schema) + "\t" + EscapeField(k.child.name) + "\t" +
           JoinEscaped(k.columns) + "\t" + EscapeField(k.parent.schema) + "\t" + EscapeField(k.parent.name) + "\t" +
           JoinEscaped(k.parent_columns) + "\t" + EscapeField(k.on_delete) + "\t" + EscapeField(k.on_update) + "\n";
  }
  return out;
}

std::vector<ForeignKey> ParseForeignKeys(const std::string& text) {
  std::vector<ForeignKey> out;
  for (const auto& line : SplitAt(text, '\n')) {
    auto f = SplitAt(line, '\t');
    if (f.size() != 9) continue;
    ForeignKey k;
    k.name = UnescapeField(f[0]);
    k.child = {UnescapeField(f[1]), UnescapeField(f[2])};
    k.columns = SplitUnescaped(f[3]);
    k.parent = {UnescapeField(f[4]), UnescapeField(f[5])};
    k.parent_columns = SplitUnescaped(f[6]);
    k.on_delete = UnescapeField(f[7]);
    k.on_update = UnescapeField(f[8]);
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

std::string SwapKeyName(const std::string& name) { return ("~" + name).substr(0, 64); }

namespace {

struct Moving {
  const DeployItem* item;
  std::vector<ForeignKey> keys;
};

// ALTER items, and DROP items (whose kept table loses its keys), with keys.
std::vector<Moving> MovingKeys(const std::vector<DeployItem>& items) {
  std::vector<Moving> out;
  for (const auto& it : items) {
    if ((it.kind != ItemKind::kAlter && it.kind != ItemKind::kDrop) || it.foreign_keys.empty()) continue;
    out.push_back({&it, ParseForeignKeys(it.foreign_keys)});
  }
  return out;
}

// The name `t` has until the RENAME lands: its shadow's if it is swapped too.
std::string BeforeSwap(const std::vector<DeployItem>& items, const sql::TableName& t) {
  for (const auto& it : items) {
    if (it.kind == ItemKind::kAlter && it.table == t) return it.shadow;
  }
  return t.name;
}

bool Swapped(const std::vector<DeployItem>& items, const sql::TableName& t) {
  for (const auto& it : items) {
    if (it.kind == ItemKind::kAlter && it.table == t) return true;
  }
  return false;
}

}  // namespace

Status AddSwapKeys(SqlConn& conn, const std::vector<DeployItem>& items, const std::string& schema) {
  SEALGATE_RETURN_IF_ERROR(conn.Exec("SET SESSION foreign_key_checks = 0"));
  for (const auto& [item, keys] : MovingKeys(items)) {
    if (item->kind != ItemKind::kAlter || item->table.schema != schema) continue;
    const sql::TableName shadow = {schema, item->shadow};
    auto existing = KeysOf(conn, shadow);
    if (!existing.ok()) return existing.status();
    std::vector<std::string> adds;
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> children;
    for (const auto& k : keys) {
      ForeignKey moving = k;
      moving.name = SwapKeyName(k.name);
      if (k.child == item->table) {
        if (!existing->count(moving.name)) adds.push_back("ADD " + moving.Clause(BeforeSwap(items, k.parent)));
      } else if (k.parent == item->table && !Swapped(items, k.child)) {
        children[{k.child.schema, k.child.name}].push_back("ADD " + moving.Clause(item->shadow));
      }
    }
    SEALGATE_RETURN_IF_ERROR(Alter(conn, shadow, adds));
    for (const auto& [child, child_adds] : children) {
      const sql::TableName c = {child.first, child.second};
      auto has = KeysOf(conn, c);
      if (!has.ok()) return has.status();
      std::vector<std::string> missing;
      for (const auto& add : child_adds) missing.push_back(add);
      // Already there (a retried attempt): ADD would fail on the name.
      for (const auto& present : *has) {
        const std::string prefix = "ADD CONSTRAINT " + QuoteIdent(present.first) + " ";
        missing.erase(std::remove_if(missing.begin(), missing.end(),
                                     [&](const std::string& a) { return a.rfind(prefix, 0) == 0; }),
                      missing.end());
      }
      SEALGATE_RETURN_IF_ERROR(Alter(conn, c, missing));
    }
  }
  return Status::Ok();
}

Status SettleKeys(SqlConn& conn, const std::vector<DeployItem>& items) {
  SEALGATE_RETURN_IF_ERROR(conn.Exec("SET SESSION foreign_key_checks = 0"));
  const std::vector<Moving> moving = MovingKeys(items);
  // 1. The kept tables keep none (first for all: that frees the names).
  for (const auto& [item, keys] : moving) {
    const sql::TableName kept = {item->table.schema, item->old_name};
    auto kept_keys = KeysOf(conn, kept);
    if (!kept_keys.ok()) return kept_keys.status();
    std::vector<std::string> drops;
    for (const auto& [name, parent] : *kept_keys) drops.push_back("DROP FOREIGN KEY " + QuoteIdent(name));
    SEALGATE_RETURN_IF_ERROR(Alter(conn, kept, drops));
  }
  // A dropped table kept for a revert keeps none either (above: kDrop items);
  // brought back by a revert, it has its own again.
  for (const auto& it : items) {
    if (it.kind != ItemKind::kCreate || it.foreign_keys.empty()) continue;
    auto current = KeysOf(conn, it.table);
    if (!current.ok()) return current.status();
    std::vector<std::string> adds;
    for (const auto& k : ParseForeignKeys(it.foreign_keys)) {
      if (k.child == it.table && !current->count(k.name)) adds.push_back("ADD " + k.Clause());
    }
    SEALGATE_RETURN_IF_ERROR(Alter(conn, it.table, adds));
  }
  for (const auto& [item, keys] : moving) {
    if (item->kind != ItemKind::kAlter) continue;
    const sql::TableName& table = item->table;
    // 2. The live table's own keys under their names; 3. each child's, to the live table.
    std::map<std::pair<std::string, std::string>, std::vector<const ForeignKey*>> owners;
    for (const auto& k : keys) {
      if (k.child == table || k.parent == table) owners[{k.child.schema, k.child.name}].push_back(&k);
    }
    for (const auto& [owner_name, owned] : owners) {
      const sql::TableName owner = {owner_name.first, owner_name.second};
      auto current = KeysOf(conn, owner);
      if (!current.ok()) return current.status();
      std::vector<std::string> first, second;
      for (const ForeignKey* k : owned) {
        const std::string temporary = SwapKeyName(k->name);
        auto own = current->find(k->name);
        const bool has_temporary = current->count(temporary) > 0;
        const bool right = own != current->end() && own->second == k->parent;
        if (right) {
          if (has_temporary) second.push_back("DROP FOREIGN KEY " + QuoteIdent(temporary));
          continue;
        }
        if (own != current->end()) {
          // Its own name points elsewhere (the kept table): free the name,
          // keeping a key to the live table meanwhile.
          first.push_back("DROP FOREIGN KEY " + QuoteIdent(k->name));
          if (!has_temporary) {
            ForeignKey t = *k;
            t.name = temporary;
            first.push_back("ADD " + t.Clause());
          }
        } else if (!has_temporary && !(k->child == table)) {
          continue;  // the child lost the key meanwhile (dropped by someone): nothing to point
        }
        if (has_temporary || own != current->end()) second.push_back("DROP FOREIGN KEY " + QuoteIdent(temporary));
        second.push_back("ADD " + k->Clause());
      }
      SEALGATE_RETURN_IF_ERROR(Alter(conn, owner, first));
      SEALGATE_RETURN_IF_ERROR(Alter(conn, owner, second));
    }
  }
  return Status::Ok();
}

Status ClearSwapKeys(SqlConn& conn, const std::vector<DeployItem>& items) {
  SEALGATE_RETURN_IF_ERROR(conn.Exec("SET SESSION foreign_key_checks = 0"));
  for (const auto& [item, keys] : MovingKeys(items)) {
    if (item->kind != ItemKind::kAlter) continue;
    std::map<std::pair<std::string, std::string>, std::set<std::string>> temporary;  // table -> names
    for (const auto& k : keys) {
      if (k.child == item->table) temporary[{item->table.schema, item->shadow}].insert(SwapKeyName(k.name));
      if (k.parent == item->table && !(k.child == item->table)) {
        temporary[{k.child.schema, k.child.name}].insert(SwapKeyName(k.name));
      }
    }
    for (const auto& [name, names] : temporary) {
      const sql::TableName t = {name.first, name.second};
      auto current = KeysOf(conn, t);
      if (!current.ok()) {
        if (conn.server_errno() == 1146) continue;  // the shadow is gone
        return current.status();
      }
      std::vector<std::string> drops;
      for (const auto& n : names) {
        if (current->count(n)) drops.push_back("DROP FOREIGN KEY " + QuoteIdent(n));
      }
      SEALGATE_RETURN_IF_ERROR(Alter(conn, t, drops));
    }
  }
  return Status::Ok();
}

}  // namespace sealgate::deploy
