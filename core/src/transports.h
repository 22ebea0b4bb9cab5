// The transports behind Output::open(), one file each.
#pragma once

#include <memory>

#include "vigil/output.h"

namespace vigil::detail {

//! Standard output, or a file with size-based rotation (output_file.cpp).
std::unique_ptr<Transport> make_stream_transport(const OutputConfig& cfg);
//! RFC 5424 over a unix datagram socket or TCP (output_syslog.cpp).
std::unique_ptr<Transport> make_syslog_transport(const OutputConfig& cfg);
//! HTTP(S) POST per alert through libcurl (output_webhook.cpp).
std::unique_ptr<Transport> make_webhook_transport(const OutputConfig& cfg);

//! Host name for syslog's HOSTNAME field.
std::string local_host_name();

}  // namespace vigil::detail
