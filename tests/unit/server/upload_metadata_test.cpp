// parse_upload_metadata: the tus Upload-Metadata header.
#include "server/upload_routes.hpp"

#include <gtest/gtest.h>

namespace furoshiki::server {
namespace {

TEST(UploadMetadata, DecodesPairsAndKeysWithoutValues) {
  // filename "world_domination_plan.pdf", filetype "application/pdf", is_confidential (no value)
  const auto m = parse_upload_metadata(
      "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,filetype YXBwbGljYXRpb24vcGRm, is_confidential");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size(), 3u);
  EXPECT_EQ(m->at("filename"), "world_domination_plan.pdf");
  EXPECT_EQ(m->at("filetype"), "application/pdf");
  EXPECT_EQ(m->at("is_confidential"), "");
  EXPECT_TRUE(parse_upload_metadata("")->empty());
  EXPECT_EQ(parse_upload_metadata("a YQ")->at("a"), "a");  // unpadded
  EXPECT_EQ(parse_upload_metadata("a w7Q=")->at("a"), "\xc3\xb4");
}

TEST(UploadMetadata, RefusesMalformedHeaders) {
  EXPECT_FALSE(parse_upload_metadata("filename ***"));
  EXPECT_FALSE(parse_upload_metadata("filename YQ,filename Yg"));  // duplicate
  EXPECT_FALSE(parse_upload_metadata(",filename YQ"));             // empty key
  EXPECT_FALSE(parse_upload_metadata("a Y"));                      // impossible length
  EXPECT_FALSE(parse_upload_metadata("k\x01 YQ"));
}

}  // namespace
}  // namespace furoshiki::server
