// Internal to statement recognition: the per-family classifiers Classify()
// dispatches to. Each is called with the cursor just past the statement's first
// keyword and fills `out` (kind included); returning false means "not this
// family", and the caller falls back to kOther.
#pragma once

#include "sql/statement.h"
#include "sql/token_cursor.h"

namespace sealgate::sql::internal {

// DEPLOY control; `first` is the statement's first keyword (BEGIN, COMMIT, ...).
bool ClassifyDeploy(const Token& first, TokenCursor& c, Statement* out);

// ALTER/CREATE/DROP/RENAME/TRUNCATE.
bool ClassifyAlter(TokenCursor& c, Statement* out);
bool ClassifyCreate(TokenCursor& c, Statement* out);
bool ClassifyDrop(TokenCursor& c, Statement* out);
bool ClassifyRename(TokenCursor& c, Statement* out);
bool ClassifyTruncate(TokenCursor& c, Statement* out);

// SET, PREPARE/EXECUTE/DEALLOCATE.
bool ClassifySet(TokenCursor& c, Statement* out);
bool ClassifyPrepare(TokenCursor& c, Statement* out);
bool ClassifyExecute(TokenCursor& c, Statement* out);
bool ClassifyDeallocate(TokenCursor& c, Statement* out);

// LOCK/UNLOCK/FLUSH, HANDLER, XA.
bool ClassifyLock(TokenCursor& c, Statement* out);
bool ClassifyUnlock(TokenCursor& c, Statement* out);
bool ClassifyFlush(TokenCursor& c, Statement* out);
bool ClassifyHandler(TokenCursor& c, Statement* out);
bool ClassifyXa(TokenCursor& c, Statement* out);

}  // namespace sealgate::sql::internal
