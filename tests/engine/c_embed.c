/* c_embed.c - embeds rtml through the C API only (a C program, linked against the static
 * library): load, inspect, run, check the outputs, and the error paths. Argument: examples/. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rtml/rtml.h"

static int failures = 0, passes = 0;
#define CHECK(cond, ...)                          \
  do {                                            \
    if (cond) {                                   \
      ++passes;                                   \
    } else {                                      \
      ++failures;                                 \
      fprintf(stderr, "FAIL line %d: ", __LINE__); \
      fprintf(stderr, __VA_ARGS__);               \
      fprintf(stderr, "\n");                      \
    }                                             \
  } while (0)

int main(int argc, char** argv) {
  char path[4096];
  snprintf(path, sizeof path, "%s/churn/model.onnx", argc > 1 ? argv[1] : "examples");
  rtml_model* model = NULL;
  rtml_status st = rtml_model_load(path, 1, &model);
  CHECK(st == RTML_OK, "load %s: %s", path, rtml_last_error());
  if (st != RTML_OK) return 1;
  CHECK(rtml_model_input_count(model) == 1, "one input");
  CHECK(rtml_model_output_count(model) == 2, "two outputs");
  CHECK(strcmp(rtml_model_input_name(model, 0), "features") == 0, "input name");
  CHECK(rtml_model_input_dtype(model, 0) == RTML_FLOAT, "input dtype");
  int64_t dims[4];
  CHECK(rtml_model_input_shape(model, 0, dims, 4) == 2 && dims[0] == -1 && dims[1] == 4, "input shape [-1, 4]");

  rtml_session* s = rtml_session_create(model);
  float x[3][4] = {{2, 95, 4, 1}, {60, 30, 0, 24}, {12, 70, 1, 12}};
  int64_t shape[2] = {3, 4};
  rtml_tensor in;
  memset(&in, 0, sizeof in);
  in.dtype = RTML_FLOAT;
  in.rank = 2;
  in.shape = shape;
  in.data = x;
  rtml_tensor out[2];
  st = rtml_session_run(s, &in, 1, out, 2);
  CHECK(st == RTML_OK, "run: %s", rtml_last_error());
  if (st == RTML_OK) {
    CHECK(out[0].dtype == RTML_INT64 && out[0].rank == 1 && out[0].shape[0] == 3, "label [3] int64");
    CHECK(out[1].dtype == RTML_FLOAT && out[1].rank == 2 && out[1].shape[1] == 2, "probabilities [3,2]");
    const int64_t* label = (const int64_t*)out[0].data;
    const float* p = (const float*)out[1].data;
    for (int r = 0; r < 3; ++r) {
      CHECK(fabsf(p[2 * r] + p[2 * r + 1] - 1.0f) < 1e-5f, "row %d sums to 1", r);
      CHECK(label[r] == (p[2 * r + 1] > 0.5f ? 1 : 0), "row %d label follows the probability", r);
    }
    CHECK(label[0] == 1 && label[1] == 0, "short-tenure heavy caller churns, long contract stays");
  }

  /* error paths: wrong dtype, wrong width, missing file, junk bytes */
  int64_t ibuf[4] = {1, 2, 3, 4};
  int64_t shape1[2] = {1, 4};
  rtml_tensor bad;
  memset(&bad, 0, sizeof bad);
  bad.dtype = RTML_INT64;
  bad.rank = 2;
  bad.shape = shape1;
  bad.data = ibuf;
  CHECK(rtml_session_run(s, &bad, 1, out, 2) == RTML_INVALID_INPUT, "int64 input refused");
  CHECK(strstr(rtml_last_error(), "features") != NULL, "message names the input: %s", rtml_last_error());
  int64_t shape5[2] = {1, 5};
  float five[5] = {0};
  in.shape = shape5;
  in.data = five;
  CHECK(rtml_session_run(s, &in, 1, out, 2) == RTML_INVALID_INPUT, "5 columns refused");
  rtml_model* none = NULL;
  CHECK(rtml_model_load("/nonexistent/model.onnx", 1, &none) == RTML_ERROR && none == NULL, "missing file");
  CHECK(rtml_model_load_bytes("junk bytes", 10, 1, &none) == RTML_INVALID_MODEL, "junk bytes: %s", rtml_last_error());

  rtml_session_destroy(s);
  rtml_model_release(model);
  printf("%d passed, %d failed\n", passes, failures);
  return failures ? 1 : 0;
}
