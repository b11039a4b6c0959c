// The DEPLOY control statements of DESIGN.md §2. Once "<verb> DEPLOY" is seen
// the statement is ours: a missing name or trailing words become a syntax error
// message for the proxy to send, never a pass-through to the server.
#include <cstdlib>
#include <string>

#include "sql/classify_internal.h"

namespace sealgate::sql::internal {
namespace {

enum class NameRule { kNone, kOptional, kRequired };

bool TakeDeployName(TokenCursor& c, Statement* out) {
  // "AT 'ts'" after COMMIT DEPLOY is a clause, not a deploy named AT.
  if (c.PeekIs("AT") && c.Peek(1).kind == TokenKind::kString) return false;
  std::optional<std::string> name = c.ParseName();
  if (!name) return false;
  out->deploy_name = std::move(name);
  return true;
}

void ParseAlterDeployAction(TokenCursor& c, Statement* out) {
  if (c.Accept("THROTTLE")) {
    out->deploy_action = AlterDeployAction::kThrottle;
    if (!c.Accept("RATIO")) return;
    const Token& t = c.Peek();
    std::string text = t.kind == TokenKind::kNumber ? std::string(t.text)
                       : t.kind == TokenKind::kString ? Unquote(t) : std::string();
    char* parse_end = nullptr;
    double ratio = text.empty() ? 0 : std::strtod(text.c_str(), &parse_end);
    if (text.empty() || parse_end != text.c_str() + text.size() || !(ratio >= 0 && ratio <= 10)) {
      out->syntax_error = "THROTTLE RATIO takes a number between 0 and 10, e.g. THROTTLE RATIO 0.5";
      return;
    }
    c.Next();
    out->throttle_ratio = ratio;
  } else if (c.Accept("UNTHROTTLE")) {
    out->deploy_action = AlterDeployAction::kUnthrottle;
  } else if (c.Accept("PAUSE")) {
    out->deploy_action = AlterDeployAction::kPause;
  } else if (c.Accept("RESUME")) {
    out->deploy_action = AlterDeployAction::kResume;
  } else {
    out->syntax_error = "ALTER DEPLOY 'name' takes THROTTLE [RATIO r], UNTHROTTLE, PAUSE or RESUME";
  }
}

struct DeployForm {
  std::string_view verb;    // first keyword
  std::string_view second;  // DEPLOY, DEPLOYS
  std::string_view third;   // STATUS or empty
  StatementKind kind;
  NameRule name;
};

constexpr DeployForm kForms[] = {
    {"BEGIN", "DEPLOY", "", StatementKind::kBeginDeploy, NameRule::kOptional},
    {"COMMIT", "DEPLOY", "", StatementKind::kCommitDeploy, NameRule::kOptional},
    {"ROLLBACK", "DEPLOY", "", StatementKind::kRollbackDeploy, NameRule::kOptional},
    {"END", "DEPLOY", "", StatementKind::kEndDeploy, NameRule::kNone},
    {"REVERT", "DEPLOY", "", StatementKind::kRevertDeploy, NameRule::kRequired},
    {"FINALIZE", "DEPLOY", "", StatementKind::kFinalizeDeploy, NameRule::kRequired},
    {"SHOW", "DEPLOYS", "", StatementKind::kShowDeploys, NameRule::kNone},
    {"SHOW", "DEPLOY", "STATUS", StatementKind::kShowDeployStatus, NameRule::kOptional},
    {"SHOW", "DEPLOY", "CHECK", StatementKind::kShowDeployCheck, NameRule::kNone},
    {"ALTER", "DEPLOY", "", StatementKind::kAlterDeploy, NameRule::kRequired},
};

std::string Spelling(const DeployForm& f) {
  std::string s(f.verb);
  s += " ";
  s += f.second;
  if (!f.third.empty()) {
    s += " ";
    s += f.third;
  }
  return s;
}

void ParseArguments(const DeployForm& f, TokenCursor& c, Statement* out) {
  bool named = f.name != NameRule::kNone && TakeDeployName(c, out);
  if (f.name == NameRule::kRequired && !named) {
    out->syntax_error = Spelling(f) + " needs a deploy name, e.g. " + Spelling(f) + " 'my_deploy'";
    return;
  }
  if (f.kind == StatementKind::kCommitDeploy && c.Accept("AT")) {
    if (c.Peek().kind != TokenKind::kString) {
      out->syntax_error = "COMMIT DEPLOY ... AT takes a quoted timestamp, e.g. AT '2024-05-01 02:00:00'";
      return;
    }
    out->commit_at = Unquote(c.Next());
  }
  if (f.kind == StatementKind::kAlterDeploy) ParseAlterDeployAction(c, out);
  if (out->syntax_error.empty() && !c.AtEnd()) {
    out->syntax_error = "unexpected '" + std::string(c.Peek().text) + "' after " + Spelling(f);
  }
}

}  // namespace

bool ClassifyDeploy(const Token& first, TokenCursor& c, Statement* out) {
  for (const DeployForm& f : kForms) {
    if (!first.Is(f.verb) || !c.PeekIs(f.second)) continue;
    if (!f.third.empty() && !c.PeekIs(f.third, 1)) continue;
    c.Next();
    if (!f.third.empty()) c.Next();
    out->kind = f.kind;
    ParseArguments(f, c, out);
    return true;
  }
  return false;
}

}  // namespace sealgate::sql::internal
