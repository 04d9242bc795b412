#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

// Runs the built `tessel` binary with `args` (a shell-quoted string) and
// captures its stdout, stderr and exit status.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string tessel_binary() {
  return std::string(TESSEL_BINARY_DIR) + "/cli/tessel";
}
inline std::string source_path(const std::string& rel) {
  return std::string(TESSEL_SOURCE_DIR) + "/" + rel;
}

inline RunResult run_tessel(const std::string& args) {
  static int counter = 0;
  const auto err_path =
      std::filesystem::temp_directory_path() /
      ("tessel_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  const std::string cmd = tessel_binary() + " " + args + " 2>" + err_path.string();
  RunResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
    r.out.append(buf.data(), n);
  const int raw = ::pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  if (FILE* f = std::fopen(err_path.c_str(), "r")) {
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0)
      r.err.append(buf.data(), n);
    std::fclose(f);
  }
  std::filesystem::remove(err_path);
  return r;
}

// Starts `tessel ARGS...` in the background with its output thrown away;
// returns the pid, or -1 when it cannot be started.
inline pid_t spawn_tessel(std::vector<std::string> args) {
  const std::string bin = tessel_binary();
  args.insert(args.begin(), bin);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}
