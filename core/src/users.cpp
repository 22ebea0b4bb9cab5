#include "vigil/users.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace vigil {
namespace {

bool nss_name(uint32_t uid, std::string& name) {
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 4096);
  for (;;) {
    passwd pw{};
    passwd* found = nullptr;
    const int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < (1u << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0 || !found || !found->pw_name) return false;
    name = found->pw_name;
    return true;
  }
}

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

UserNames::UserNames(std::string passwd, Resolver resolve)
    : passwd_(std::move(passwd)), resolve_(resolve ? std::move(resolve) : Resolver(nss_name)) {
  state_ = file_state();
}

std::optional<UserNames::FileState> UserNames::file_state() const {
  struct stat st {};
  if (stat(passwd_.c_str(), &st) != 0) return std::nullopt;
  return FileState{st.st_ino, st.st_size, st.st_mtim.tv_sec * 1'000'000'000ll + st.st_mtim.tv_nsec};
}

void UserNames::check_file() {
  // One stat a second at most, by whichever thread comes first.
  const int64_t now = steady_ns();
  int64_t next = next_check_ns_.load(std::memory_order_relaxed);
  if (now < next) return;
  if (!next_check_ns_.compare_exchange_strong(next, now + 1'000'000'000,
                                              std::memory_order_relaxed)) {
    return;
  }
  const std::optional<FileState> now_state = file_state();
  std::lock_guard lock(mu_);
  if (now_state != state_) {
    state_ = now_state;
    cache_.clear();
    refreshes_.add();
  }
}

bool UserNames::name(uint32_t uid, std::string& out) {
  if (uid == 0xffffffffu) return false;
  lookups_.add();
  check_file();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(uid);
    if (it != cache_.end()) {
      if (!it->second) return false;
      out = *it->second;
      return true;
    }
  }
  std::string name;
  const bool found = resolve_(uid, name);
  resolved_.add();
  std::lock_guard lock(mu_);
  cache_.insert_or_assign(uid, found ? std::optional<std::string>(name) : std::nullopt);
  if (found) out = std::move(name);
  return found;
}

UserNamesCounts UserNames::counts() const {
  return {lookups_.get(), resolved_.get(), refreshes_.get()};
}

}  // namespace vigil
