// Many threads share one mink::http::Client (run under ThreadSanitizer by scripts/tsan.sh):
// plain requests, requests that hit their deadline and requests cancelled from another thread
// all at once, with a pool smaller than the number of threads so handles are created,
// reused and released concurrently.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "http/local_server.hpp"
#include "mink/http/client.hpp"

using namespace std::chrono_literals;

TEST(ClientConcurrency, ManyThreadsShareOneClient) {
  mink::testing::LocalServer server;
  // Abandoned /slow requests keep a worker busy for their full second: room for all of them.
  server->new_task_queue = [] { return new httplib::ThreadPool(64); };
  std::atomic<int> served{0};
  server->Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    ++served;
    res.set_content(req.get_header_value("X-Thread") + ":" + req.body, "text/plain");
  });
  server->Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(1s);  // far past every deadline and cancellation below
    res.set_content("late", "text/plain");
  });
  server.Start();

  auto client = std::make_shared<mink::http::Client>(
      mink::http::ClientOptions{.max_idle_handles = 3, .proxy = ""});
  constexpr int kThreads = 8;
  constexpr int kRequests = 60;
  std::atomic<int> ok{0}, deadline{0}, cancelled{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      mink::Context ctx;
      for (int i = 0; i < kRequests; ++i) {
        try {
          if (i % 20 == 7) {
            client->Do(ctx.WithTimeout(30ms), {.url = server.Url("/slow")});
          } else if (i % 20 == 13) {
            auto [c, cancel] = ctx.WithCancel();
            std::thread canceller([cancel = cancel] {
              std::this_thread::sleep_for(10ms);
              cancel();
            });
            try {
              client->Do(c, {.url = server.Url("/slow")});
            } catch (...) {
              canceller.join();
              throw;
            }
            canceller.join();
          } else {
            const std::string body = "req-" + std::to_string(i);
            auto res = client->Do(ctx, {.method = "POST",
                                        .url = server.Url("/echo"),
                                        .headers = {{"X-Thread", std::to_string(t)}},
                                        .body = body});
            if (res.body == std::to_string(t) + ":" + body) {
              ++ok;
            } else {
              ++wrong;
            }
          }
        } catch (const mink::http::HttpError& e) {
          if (e.code() == mink::errc::kDeadlineExceeded) {
            ++deadline;
          } else if (e.code() == mink::errc::kCancelled) {
            ++cancelled;
          } else {
            ADD_FAILURE() << e.what();
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  server.Stop();  // joins the handlers, which use `served`
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ok.load(), kThreads * (kRequests - 6));
  EXPECT_EQ(deadline.load(), kThreads * 3);
  EXPECT_EQ(cancelled.load(), kThreads * 3);
  EXPECT_EQ(served.load(), ok.load());
}
