// Where alerts and traced events go: JSON lines written by a thread of their
// own, behind a bounded queue. A slow or broken output never stalls the
// shards: when the queue is full, or a write fails, lines are dropped and
// counted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "vigil/counters.h"

namespace vigil {

class LineSink {
 public:
  struct Options {
    //! Lines waiting to be written before new ones are dropped.
    size_t max_queued = 65536;
  };

  //! Opens `path` for appending ("-" is standard output) and starts the
  //! writer thread. Throws std::system_error when the file cannot be opened.
  static std::unique_ptr<LineSink> open(const std::string& path, const Options& opts);
  static std::unique_ptr<LineSink> open(const std::string& path) { return open(path, Options{}); }

  //! Closes as close() does with a one-second deadline.
  ~LineSink();

  //! Any thread. Queues one line, which must end in '\n'. Returns false, and
  //! counts the line as dropped, when the queue is full. Never blocks.
  bool submit(std::string line);

  //! Writes what is queued, waiting at most `deadline`; what is left after
  //! it is counted as dropped. Stops the writer. Idempotent.
  void close(std::chrono::milliseconds deadline);

  //! received: lines offered; passed: lines written; dropped: lines lost.
  StageCounts counts() const;

 private:
  struct Impl;
  explicit LineSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
