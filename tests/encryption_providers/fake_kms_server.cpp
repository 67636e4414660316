// The fake KMS (fake_kms.hpp) as a process, for botocore_kms_check.py: creates keys "key-a"
// and "key-b", prints "PORT <n>", serves until stdin closes, and stops by itself after 120 s.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "encryption_providers/fake_kms.hpp"

int main() {
  mink::testing::FakeKms kms;
  kms.CreateKey("key-a");
  kms.CreateKey("key-b");
  const std::string url = kms.Url();
  std::printf("PORT %s\n", url.substr(url.rfind(':') + 1).c_str());
  std::fflush(stdout);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  char buf[256];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    if (::read(STDIN_FILENO, buf, sizeof buf) <= 0) break;  // EOF: the driver is done
  }
  return 0;
}
