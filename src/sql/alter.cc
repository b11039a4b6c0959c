// AnalyzeAlter(): the statement head (ALTER ... TABLE name), the split into
// specifications, and the re-rendering for the shadow table. Specifications
// themselves are read in alter_spec.cc.
#include "sql/alter.h"

#include <cctype>

#include "sql/alter_internal.h"
#include "sql/errors.h"
#include "sql/lexer.h"
#include "sql/token_cursor.h"

namespace sealgate::sql {
namespace internal {

Status AlterSyntaxError(std::string message) {
  return Status::InvalidArgument("cannot read this ALTER TABLE: " + message)
      .WithMysqlError(error::kAlterSyntax, error::kSqlstateSyntax);
}

Status RefuseAlter(uint16_t mysql_errno, std::string message) {
  return Status::InvalidArgument(std::move(message)).WithMysqlError(mysql_errno, error::kSqlstateNotSupported);
}

}  // namespace internal

namespace {

using internal::AlterSyntaxError;

// ALTER [ONLINE|OFFLINE] [IGNORE] TABLE [IF EXISTS] name [WAIT n | NOWAIT]
Status ParseHead(TokenCursor& c, AlterTable* out) {
  if (!c.Accept("ALTER")) return AlterSyntaxError("it does not start with ALTER");
  while (true) {
    if (c.Accept("ONLINE")) {
      out->online = true;
    } else if (c.Accept("IGNORE")) {
      out->ignore = true;
    } else if (!c.Accept("OFFLINE")) {
      break;
    }
  }
  if (!c.Accept("TABLE")) return AlterSyntaxError("expected TABLE after ALTER");
  c.AcceptSeq({"IF", "EXISTS"});
  std::optional<TableName> table = c.ParseTableName();
  if (!table) return AlterSyntaxError("expected a table name after ALTER TABLE");
  out->table = std::move(*table);
  if (c.Accept("WAIT")) c.Next();
  c.Accept("NOWAIT");
  return Status::Ok();
}

// Specifications end at depth-0 commas; partition options (PARTITION BY,
// REMOVE PARTITIONING) follow the list without a comma and start a new one.
Status SplitSpecs(const std::vector<Token>& tokens, size_t begin, size_t end,
                  std::vector<std::pair<size_t, size_t>>* ranges) {
  int depth = 0;
  size_t start = begin;
  for (size_t i = begin; i < end; ++i) {
    const Token& t = tokens[i];
    if (t.IsPunct('(')) ++depth;
    if (t.IsPunct(')') && --depth < 0) return AlterSyntaxError("unbalanced ')'");
    bool partition_options = depth == 0 && i > start && i + 1 < end &&
                             ((t.Is("PARTITION") && tokens[i + 1].Is("BY")) ||
                              (t.Is("REMOVE") && tokens[i + 1].Is("PARTITIONING")));
    if (partition_options) {
      ranges->emplace_back(start, i);
      start = i;
    }
    if (depth == 0 && t.IsPunct(',')) {
      if (i == start) return AlterSyntaxError("empty specification between commas");
      ranges->emplace_back(start, i);
      start = i + 1;
    }
  }
  if (depth != 0) return AlterSyntaxError("unbalanced '('");
  if (start < end) {
    ranges->emplace_back(start, end);
  } else if (start > begin) {
    return AlterSyntaxError("trailing comma");
  }
  return Status::Ok();
}

bool StartsWithWord(const std::string& text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) return false;
  }
  return text.size() == word.size() || !std::isalnum(static_cast<unsigned char>(text[word.size()]));
}

bool SameName(std::string_view a, std::string_view b) { return ToLower(a) == ToLower(b); }

}  // namespace

StatusOr<AlterTable> AnalyzeAlter(std::string_view sql) {
  std::vector<Token> tokens = Tokenize(sql);
  size_t end = 0;
  while (end < tokens.size() && !tokens[end].IsPunct(';')) ++end;
  for (size_t i = end; i < tokens.size(); ++i) {
    if (!tokens[i].IsPunct(';')) return AlterSyntaxError("more than one statement");
  }
  TokenCursor c(tokens, end);
  AlterTable out;
  SEALGATE_RETURN_IF_ERROR(ParseHead(c, &out));
  std::vector<std::pair<size_t, size_t>> ranges;
  SEALGATE_RETURN_IF_ERROR(SplitSpecs(tokens, c.pos(), end, &ranges));
  for (auto [b, e] : ranges) {
    SEALGATE_RETURN_IF_ERROR(internal::ParseAlterSpec(internal::SpecRange{sql, &tokens, b, e}, &out));
  }
  return out;
}

std::string RenderAlter(const AlterTable& alter, const TableName& target) {
  std::string out = "ALTER TABLE ";
  if (!target.schema.empty()) out += QuoteIdentifier(target.schema) + ".";
  out += QuoteIdentifier(target.name);
  for (size_t i = 0; i < alter.specs.size(); ++i) {
    const AlterSpec& spec = alter.specs[i];
    bool partition_options = spec.kind == AlterSpecKind::kPartitioning &&
                             (StartsWithWord(spec.text, "PARTITION") || StartsWithWord(spec.text, "REMOVE"));
    out += (i == 0 || partition_options) ? " " : ", ";
    out += spec.text;
  }
  return out;
}

std::vector<std::optional<std::string>> ProjectColumns(const AlterTable& alter,
                                                       const std::vector<std::string>& old_columns,
                                                       const std::vector<std::string>& new_columns) {
  // Every spec names columns of the original; work out each old column's new
  // name (or that it is gone), then look the new columns up.
  std::vector<std::optional<std::string>> renamed(old_columns.begin(), old_columns.end());
  for (size_t i = 0; i < old_columns.size(); ++i) {
    for (const AlterSpec& spec : alter.specs) {
      if (!SameName(spec.column, old_columns[i])) continue;
      if (spec.kind == AlterSpecKind::kDropColumn) renamed[i].reset();
      if (spec.kind == AlterSpecKind::kRenameColumn || spec.kind == AlterSpecKind::kChangeColumn) {
        renamed[i] = spec.new_column;
      }
    }
  }
  std::vector<std::optional<std::string>> sources;
  for (const std::string& column : new_columns) {
    std::optional<std::string> source;
    for (size_t i = 0; i < old_columns.size() && !source; ++i) {
      if (renamed[i] && SameName(*renamed[i], column)) source = old_columns[i];
    }
    sources.push_back(std::move(source));
  }
  return sources;
}

const char* AlterSpecKindName(AlterSpecKind kind) {
  switch (kind) {
    case AlterSpecKind::kAddColumn: return "AddColumn";
    case AlterSpecKind::kDropColumn: return "DropColumn";
    case AlterSpecKind::kRenameColumn: return "RenameColumn";
    case AlterSpecKind::kChangeColumn: return "ChangeColumn";
    case AlterSpecKind::kModifyColumn: return "ModifyColumn";
    case AlterSpecKind::kAlterColumn: return "AlterColumn";
    case AlterSpecKind::kAddIndex: return "AddIndex";
    case AlterSpecKind::kDropPrimaryKey: return "DropPrimaryKey";
    case AlterSpecKind::kDropIndex: return "DropIndex";
    case AlterSpecKind::kRenameIndex: return "RenameIndex";
    case AlterSpecKind::kAlterIndex: return "AlterIndex";
    case AlterSpecKind::kAddCheck: return "AddCheck";
    case AlterSpecKind::kAddForeignKey: return "AddForeignKey";
    case AlterSpecKind::kDropConstraint: return "DropConstraint";
    case AlterSpecKind::kTableOption: return "TableOption";
    case AlterSpecKind::kConvertCharset: return "ConvertCharset";
    case AlterSpecKind::kForce: return "Force";
    case AlterSpecKind::kPartitioning: return "Partitioning";
    case AlterSpecKind::kOther: return "Other";
  }
  return "?";
}

}  // namespace sealgate::sql
