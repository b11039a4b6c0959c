// What a statement changes, as far as keeping one schema read-only through
// the proxy needs (sealgate's own metadata schema): the tables and other
// objects a statement writes, creates, alters, renames or drops, and the
// databases it creates, alters or drops.
//
// Lexical and best-effort like Classify(): never fails, never crashes on any
// bytes. Sources of data are not targets: SELECT, the SELECT of INSERT ...
// SELECT and CREATE TABLE ... SELECT, CREATE TABLE ... LIKE, subqueries. Every
// table named among the table references of a multi-table UPDATE or DELETE is
// a target (any of them may be written). Not seen through: the body of a
// stored routine, trigger or event (it runs later), and a statement prepared
// from a variable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sql/statement.h"

namespace sealgate::sql {

struct WriteTargets {
  // Tables, views, routines, triggers, events, sequences; an empty schema
  // means the session's current database.
  std::vector<TableName> objects;
  // Databases; "" is the current one (ALTER DATABASE without a name).
  std::vector<std::string> databases;
};

// `sql` is one statement: text after its first top-level ';' is ignored.
WriteTargets FindWriteTargets(std::string_view sql);

// Keeps one schema read-only for the statements it is shown. Names are
// compared without regard to ASCII letter case (the server may fold them).
class SchemaWriteGuard {
 public:
  explicit SchemaWriteGuard(std::string schema) : schema_(std::move(schema)) {}
  const std::string& schema() const { return schema_; }

  // Cheap pre-check for every statement, without tokenizing: false unless the
  // text mentions the schema's name or `database` (the session's current
  // one) is the schema. One pass over the text.
  bool MayConcern(std::string_view sql, std::string_view database) const;

  // Whether some statement of `sql` changes the schema or something in it.
  // Multi-statement text is split and a USE inside it followed; the text of
  // PREPARE ... FROM '...', EXECUTE IMMEDIATE '...' and SET STATEMENT ... FOR
  // is looked into. Starts with MayConcern().
  bool Refuses(std::string_view sql, std::string_view database) const;

 private:
  bool Refused(std::string_view statement, std::string* database, int depth) const;
  bool IsSchema(std::string_view name) const;

  std::string schema_;
};

}  // namespace sealgate::sql
