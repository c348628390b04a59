// The CA bundle fallback that lets Debian's libcurl, bundled in bootstrap.zip, verify TLS on
// Amazon Linux 2023, where Debian's default CA file does not exist.

#include "http_client/ca_bundle.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace heartbeat::testing {
namespace {

std::string Touch(const TempDir& dir, const std::string& name) {
  std::ofstream(dir.file(name)) << "-----BEGIN CERTIFICATE-----\n";
  return dir.file(name);
}

TEST(CaBundle, WorkingDefaultIsKept) {
  TempDir dir;
  std::string debian = Touch(dir, "ca-certificates.crt");
  std::string al2023 = Touch(dir, "ca-bundle.crt");
  EXPECT_EQ(PickCaBundle(debian, {al2023}), "");
}

TEST(CaBundle, MissingDefaultFallsBackToTheFirstFileThatExists) {
  TempDir dir;
  std::string al2023 = Touch(dir, "ca-bundle.crt");
  EXPECT_EQ(PickCaBundle(dir.file("ca-certificates.crt"), {dir.file("absent.pem"), al2023}),
            al2023);
  EXPECT_EQ(PickCaBundle("", {al2023}), al2023);
}

TEST(CaBundle, NothingBetterKeepsTheDefault) {
  TempDir dir;
  EXPECT_EQ(PickCaBundle(dir.file("ca-certificates.crt"), {dir.file("absent.pem")}), "");
}

}  // namespace
}  // namespace heartbeat::testing
