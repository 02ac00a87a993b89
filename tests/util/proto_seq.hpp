// proto_seq.hpp - reads an onnx SequenceProto of MapProto (ZipMap's expected output files) from
// protobuf's wire format (onnx-data.proto is not in Debian's libonnx-dev) and compares it.
#pragma once

#include <string>

#include "rtml/rtml.hpp"

namespace rtml::test {

// "" when `got` (a sequence-of-maps Value) equals the SequenceProto in `bytes` within tolerance.
std::string compare_sequence_of_maps(const std::string& bytes, const Value& got, double rtol, double atol);

}  // namespace rtml::test
