#include "sql/statement.h"
#include <gtest/gtest.h>
TEST(SqlStatement, Smoke) { EXPECT_EQ(sealgate::sql::Classify("ALTER TABLE t ADD c INT").kind, sealgate::sql::StatementKind::kAlterTable); }
