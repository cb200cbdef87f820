// Test support: throw-away directories and whole-file reads and writes.
//
// TempDir gives a test a fresh directory of its own (databases, logs,
// certificates, CSV files) and removes it with everything in it; ReadFile
// and WriteFile move a file's bytes in one call. One set for every test
// binary, so a test never grows its own copy.
#pragma once

#include <filesystem>
#include <string>

namespace analytics::testing {

// A fresh directory under TMPDIR (else /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside the directory.
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Replaces the file's contents with `content`; aborts the test binary when
// it cannot.
void WriteFile(const std::string& path, const std::string& content);
// The file's bytes; empty when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace analytics::testing
