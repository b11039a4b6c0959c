// DeployController: statements that only read, inside a deploy block.
// Migration frameworks introspect a table before they change it (Rails'
// rename_column and change_column, Django's schema editor, Sequelize's
// renameColumn), also a table an earlier statement of the same block changed:
// the answer must be the table as it will be once sealed: SHOW CREATE TABLE,
// SHOW [FULL] COLUMNS/FIELDS, SHOW INDEX/INDEXES/KEYS and DESCRIBE of it are
// run on a created table's shadow, or on an empty preview of an altered one
// (its definition with the ALTER applied: the shadow lacks its secondary
// indexes while they are deferred), and given the table's name. Any other statement that names such
// a table (a SELECT from information_schema, ...) would describe the table as
// it is now, so it is refused with the forms that work; the rest go to the
// server as they would without sealgate.
#include <algorithm>
#include <set>

#include "deploy/controller_util.h"
#include "deploy/deploy_controller.h"
#include "migration/session_settings.h"
#include "sql/alter.h"
#include "sql/errors.h"
#include "sql/lexer.h"

namespace sealgate::deploy {

namespace {

using migration::SqlConn;
using sql::Token;

enum class Form { kShowCreate, kShowColumns, kShowIndex, kDescribe };

struct Introspection {
  Form form;
  bool plain_tail = true;       // nothing after the table but LIKE 'pattern' or (DESCRIBE) a column
  sql::TableName table;         // as written (schema may be empty)
  size_t name_begin = 0;        // the table reference in the text, to be replaced
  size_t name_end = 0;
  size_t from_db_begin = 0;     // "FROM db" after it (SHOW COLUMNS/INDEX), removed; 0: none
  size_t from_db_end = 0;
};

bool StartsReadOnly(const std::vector<Token>& t) {
  if (t.empty()) return false;
  const Token& first = t[0];
  if (first.Is("SELECT") || first.Is("WITH") || first.Is("VALUES")) {
    // A locking read is still a read; INTO OUTFILE/@var writes elsewhere, not to the schema.
    return true;
  }
  if (first.Is("DESCRIBE") || first.Is("DESC") || first.Is("EXPLAIN")) return true;
  if (first.Is("SHOW")) {
    // SHOW DEPLOY... are sealgate's own (classified before this).
    return t.size() < 2 || !t[1].Is("DEPLOY");
  }
  return false;
}

// `name` or `db`.`name` at t[i]; advances i past it.
std::optional<sql::TableName> TableAt(const std::vector<Token>& t, size_t* i) {
  if (*i >= t.size() || !t[*i].IsIdentifier()) return std::nullopt;
  sql::TableName name{"", sql::Unquote(t[*i])};
  ++*i;
  if (*i + 1 < t.size() && t[*i].IsPunct('.') && t[*i + 1].IsIdentifier()) {
    name.schema = name.name;
    name.name = sql::Unquote(t[*i + 1]);
    *i += 2;
  }
  return name;
}

// What may follow the table in a statement sealgate runs on the shadow with
// its own account: nothing, `LIKE 'pattern'`, or (DESCRIBE) one column name
// or pattern. Anything else (a WHERE with its expressions) is not run there.
bool PlainTail(const std::vector<Token>& t, size_t i, Form form) {
  size_t end = t.size();
  if (end > i && t[end - 1].IsPunct(';')) --end;
  if (i == end) return true;
  if (form == Form::kDescribe) return end - i == 1 && (t[i].IsIdentifier() || t[i].kind == sql::TokenKind::kString);
  return end - i == 2 && t[i].Is("LIKE") && t[i + 1].kind == sql::TokenKind::kString;
}

std::optional<Introspection> ParseIntrospection(const std::vector<Token>& t) {
  Introspection out;
  size_t i = 1;
  if (t.empty()) return std::nullopt;
  auto name_here = [&](Form form) -> bool {
    out.form = form;
    size_t begin = i;
    auto table = TableAt(t, &i);
    if (!table) return false;
    out.table = *table;
    out.name_begin = t[begin].begin;
    out.name_end = t[i - 1].end;
    return true;
  };
  auto from_db = [&] {
    if (i + 1 < t.size() && (t[i].Is("FROM") || t[i].Is("IN")) && t[i + 1].IsIdentifier()) {
      out.table.schema = sql::Unquote(t[i + 1]);
      out.from_db_begin = t[i].begin;
      out.from_db_end = t[i + 1].end;
      i += 2;
    }
  };
  if (t[0].Is("SHOW")) {
    if (i + 1 < t.size() && t[i].Is("CREATE") && t[i + 1].Is("TABLE")) {
      i += 2;
      if (!name_here(Form::kShowCreate)) return std::nullopt;
      return i == t.size() || (i + 1 == t.size() && t[i].IsPunct(';')) ? std::optional(out) : std::nullopt;
    }
    if (i < t.size() && t[i].Is("FULL")) ++i;
    if (i + 1 < t.size() && (t[i].Is("COLUMNS") || t[i].Is("FIELDS")) && (t[i + 1].Is("FROM") || t[i + 1].Is("IN"))) {
      i += 2;
      if (!name_here(Form::kShowColumns)) return std::nullopt;
      from_db();
      out.plain_tail = PlainTail(t, i, out.form);
      return out;
    }
    if (i + 1 < t.size() && (t[i].Is("INDEX") || t[i].Is("INDEXES") || t[i].Is("KEYS")) &&
        (t[i + 1].Is("FROM") || t[i + 1].Is("IN"))) {
      i += 2;
      if (!name_here(Form::kShowIndex)) return std::nullopt;
      from_db();
      out.plain_tail = PlainTail(t, i, out.form);
      return out;
    }
    return std::nullopt;
  }
  if (t[0].Is("DESCRIBE") || t[0].Is("DESC") || t[0].Is("EXPLAIN")) {
    // EXPLAIN SELECT ... / DESCRIBE FORMAT=... explain a statement, not a table.
    static const char* const kStatementWords[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH",
                                                  "EXTENDED", "PARTITIONS", "FORMAT", "ANALYZE", "FOR", "VALUES"};
    if (i >= t.size() || !t[i].IsIdentifier()) return std::nullopt;
    for (const char* word : kStatementWords) {
      if (t[i].IsWord() && t[i].Is(word)) return std::nullopt;
    }
    if (!name_here(Form::kDescribe)) return std::nullopt;
    out.plain_tail = PlainTail(t, i, out.form);
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ControlReply> DeployController::ReadInBlock(const ClientContext& c, const std::string& sql,
                                                          const std::string& name) {
  const std::vector<Token> tokens = sql::Tokenize(sql);
  if (!StartsReadOnly(tokens)) return std::nullopt;
  std::vector<DeployItem> items;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = deploys_.find(name);
    if (found != deploys_.end()) items = found->second.deploy.items;
  }
  auto changed = [&](const sql::TableName& t) -> const DeployItem* {
    for (const auto& it : items) {
      if (it.table == t) return &it;
    }
    return nullptr;
  };

  if (auto intro = ParseIntrospection(tokens)) {
    const sql::TableName t = Resolve(intro->table, c.database);
    const DeployItem* item = changed(t);
    if (!item) return ControlReply::Forward();
    if (item->kind == ItemKind::kDrop) {
      return ControlReply::Error(NoSuchTable(t));
    }
    if (!intro->plain_tail) {
      return ControlReply::Error(DeployError(
          error::kDeployStatementNotAllowed,
          "inside a deploy block, SHOW COLUMNS, SHOW INDEX and DESCRIBE of " + Qualified(t) +
              ", which the block changes, take at most LIKE 'pattern' (or a column name); the block stays open"));
    }
    auto admin = SqlConn::Open(options_.admin);
    if (!admin.ok()) return ControlReply::Error(admin.status());
    // Where the table as it will be stands: a created table's shadow is it;
    // an altered table's shadow lacks its secondary indexes while they are
    // deferred, so an empty preview (the table's definition with the ALTER
    // applied, a temporary table of this connection) answers for it; the
    // shadow does if the preview cannot be made.
    std::string source = item->shadow, created_as = "CREATE TABLE";
    if (item->kind == ItemKind::kAlter) {
      auto alter = sql::AnalyzeAlter(item->statement);
      const std::string preview = "~sealgate_preview";
      Status made = alter.ok() ? admin->Exec("CREATE TEMPORARY TABLE " + migration::QuoteTable(t.schema, preview) +
                                             " LIKE " + migration::QuoteTable(t.schema, t.name))
                               : alter.status();
      if (made.ok()) {
        made = migration::WithSessionSettings(*admin, c.settings, [&] {
          return admin->Exec(sql::RenderAlter(*alter, {t.schema, preview}));
        });
        if (made.ok()) {
          source = preview;
          created_as = "CREATE TEMPORARY TABLE";
        }
      }
    }
    // The same statement, on that table.
    std::string text = sql.substr(0, intro->name_begin) + migration::QuoteTable(t.schema, source);
    size_t rest = intro->name_end;
    if (intro->from_db_begin) {
      text += sql.substr(rest, intro->from_db_begin - rest);
      rest = intro->from_db_end;
    }
    text += sql.substr(rest);
    std::vector<std::string> columns;
    auto rows = admin->Query(text, &columns);
    if (!rows.ok()) {
      return ControlReply::Error(Status(rows.status().code(), rows.status().message())
                                     .WithMysqlError(static_cast<uint16_t>(admin->server_errno()),
                                                     admin->server_sqlstate()));
    }
    ControlReply r;
    r.kind = ControlReply::Kind::kResultSet;
    r.columns = columns;
    const std::string head = created_as + " " + sql::QuoteIdentifier(source);
    for (auto& row : *rows) {
      if (intro->form == Form::kShowCreate && row.size() >= 2) {
        row[0] = t.name;
        if (row[1] && row[1]->rfind(head, 0) == 0) {
          row[1]->replace(0, head.size(), "CREATE TABLE " + sql::QuoteIdentifier(t.name));
        }
      }
      if (intro->form == Form::kShowIndex && !row.empty()) row[0] = t.name;
      r.rows.push_back(std::move(row));
    }
    if (intro->form == Form::kShowIndex) {
      for (size_t i = 0; i < columns.size(); ++i) {
        const std::string& col = columns[i];
        if (col == "Non_unique" || col == "Seq_in_index" || col == "Cardinality" || col == "Sub_part") {
          r.integer_columns.insert(i);
        }
      }
    }
    return r;
  }

  // A name of a table the block changes, as an identifier or a string
  // (information_schema's TABLE_NAME = 't'): the answer would be the table as
  // it is now. Compared as written, as the server compares table names here.
  std::set<std::string> names;
  for (const auto& it : items) names.insert(it.table.name);
  for (const Token& tok : tokens) {
    if (!(tok.IsIdentifier() || tok.kind == sql::TokenKind::kString)) continue;
    const std::string value = sql::Unquote(tok);
    if (!names.count(value)) continue;
    return ControlReply::Error(DeployError(
        error::kDeployStatementNotAllowed,
        "this statement reads `" + value + "`, which deploy '" + name +
            "' changes: its answer would be the table as it is now, not as it will be. Inside a block, SHOW "
            "CREATE TABLE, SHOW [FULL] COLUMNS, SHOW INDEX and DESCRIBE of it answer as it will be once sealed; the "
            "block stays open"));
  }
  return ControlReply::Forward();
}

}  // namespace sealgate::deploy
