// tests/support — a real OS child process for "several processes" and "survives a crash" tests.
//
//   ChildProcess child({MINK_SOME_CHILD, "arg"});  // fork + exec; stdin and stdout are pipes
//   child.WriteLine("go");                          // to its stdin
//   std::string line = child.ReadLine(30s);         // from its stdout ("" on timeout or EOF)
//   child.Kill();                                   // SIGKILL, as a crash
//   int status = child.Wait();                      // exit code, or 128 + signal
//
// The destructor kills and reaps a child that is still running. Not thread-safe.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace mink::testing {

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {  // the child: only async-signal-safe calls until exec
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      close(in[0]);
      close(in[1]);
      close(out[0]);
      close(out[1]);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      Kill();
      Wait();
    }
    if (to_child_ >= 0) close(to_child_);
    if (from_child_ >= 0) close(from_child_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t Pid() const { return pid_; }

  void WriteLine(const std::string& line) {
    const std::string data = line + "\n";
    if (write(to_child_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      throw std::runtime_error("write to child failed");
    }
  }

  // The next line the child printed, without its newline; "" when it printed none in time.
  std::string ReadLine(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{from_child_, POLLIN, 0};
      const int ready = poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return "";
      char chunk[4096];
      const ssize_t n = read(from_child_, chunk, sizeof chunk);
      if (n <= 0) return "";  // EOF: the child is gone
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void Kill() {
    if (pid_ > 0) kill(pid_, SIGKILL);
  }

  // Waits for the child to end: its exit code, or 128 + the signal that ended it.
  int Wait() {
    if (pid_ <= 0) return status_;
    int raw = 0;
    while (waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  int status_ = -1;
  std::string buffer_;
};

}  // namespace mink::testing
