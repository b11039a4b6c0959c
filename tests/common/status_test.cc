#include "common/status.h"

#include <gtest/gtest.h>

namespace sealgate {
namespace {

StatusOr<int> Parse(int v) {
  if (v < 0) return Status::InvalidArgument("negative");
  return v * 2;
}

Status Chain(int v) {
  SEALGATE_RETURN_IF_ERROR(Parse(v).status());
  return Status::Ok();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeMessageAndMysqlError) {
  Status s = Status::FailedPrecondition("binlog_format is STATEMENT").WithMysqlError(4601, "HY000");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.mysql_errno(), 4601);
  EXPECT_EQ(s.sqlstate(), "HY000");
  Status annotated = s.Annotate("inspect t1");
  EXPECT_EQ(annotated.message(), "inspect t1: binlog_format is STATEMENT");
  EXPECT_EQ(annotated.mysql_errno(), 4601);
}

TEST(StatusTest, StatusOrHoldsValueOrError) {
  auto good = Parse(21);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  auto bad = Parse(-1);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Chain(-1).ok());
  EXPECT_TRUE(Chain(1).ok());
}

TEST(StatusTest, StatusOrFromOkStatusIsAnError) {
  StatusOr<int> s{Status::Ok()};
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace sealgate
