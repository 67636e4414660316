// A separate project using the installed mink package.
#include <cstdio>
#include <memory>

#include <mink/memory/adapter.hpp>
#include <mink/mink.hpp>

struct Pinged {
  static constexpr std::string_view kEventType = "Pinged";
  int n = 0;
  NLOHMANN_DEFINE_TYPE_INTRUSIVE(Pinged, n)
};

int main() {
  mink::EventStore store(std::make_shared<mink::memory::Adapter>());
  store.RegisterEvents<Pinged>();
  mink::Context ctx;
  store.Append(ctx, "Ping-1", {Pinged{1}, Pinged{2}}, mink::NoStream);
  auto events = store.Load(ctx, "Ping-1");
  if (events.size() != 2 || events[1].As<Pinged>().n != 2) return 1;
  std::puts("consumer ok");
  return 0;
}
