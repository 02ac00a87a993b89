// cli.hpp - the `rtml` command's subcommands and what they share.
#pragma once

#include <string>
#include <vector>

#include "rtml/rtml.hpp"

namespace rtml::cli {

int cmd_run(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_inspect(int argc, char** argv);

// Exit status for a Status: 0 ok, 3 unsupported, 4 invalid model, 5 bad inputs, 1 otherwise.
int exit_code(const Status& s);
int fail(const Status& s);  // prints "rtml: message" and returns exit_code(s)

// Reads DIR/input_<i>.pb for every model input (left out: the default, if the input has one).
Status read_inputs(const Model& m, const std::string& dir, std::vector<Tensor>* tensors, std::vector<TensorView>* views);

// Heap allocations made by this process so far (operator new is counted in alloc_counter.cc).
uint64_t heap_allocations();

}  // namespace rtml::cli
