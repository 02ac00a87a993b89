/* rtml.h - the C API of rtml: opaque handles, status codes and messages, no exceptions.
 *
 * Usage:
 *   #include <rtml/rtml.h>
 *
 *   rtml_model* model = NULL;
 *   if (rtml_model_load("model.onnx", 0, &model) != RTML_OK) {
 *     fprintf(stderr, "%s\n", rtml_last_error());       // message of this thread's last failure
 *     return 1;
 *   }
 *   rtml_session* s = rtml_session_create(model);       // one per thread
 *   float x[4] = {5.1f, 3.5f, 1.4f, 0.2f};
 *   int64_t shape[2] = {1, 4};
 *   rtml_tensor in = {RTML_FLOAT, 2, shape, x};
 *   rtml_tensor out[2];
 *   if (rtml_session_run(s, &in, 1, out, 2) == RTML_OK) {
 *     const float* proba = (const float*)out[1].data;   // valid until the next run of s
 *   }
 *   rtml_session_destroy(s);
 *   rtml_model_release(model);
 *
 * Strings (RTML_STRING) are arrays of rtml_string {data, size}.
 */
#ifndef RTML_H_
#define RTML_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rtml_status {
  RTML_OK = 0,
  RTML_ERROR = 1,
  RTML_UNSUPPORTED = 3,
  RTML_INVALID_MODEL = 4,
  RTML_INVALID_INPUT = 5,
} rtml_status;

/* Element types: the onnx.TensorProto.DataType numbers. */
typedef enum rtml_dtype {
  RTML_UNDEFINED = 0,
  RTML_FLOAT = 1,
  RTML_UINT8 = 2,
  RTML_INT8 = 3,
  RTML_UINT16 = 4,
  RTML_INT16 = 5,
  RTML_INT32 = 6,
  RTML_INT64 = 7,
  RTML_STRING = 8,
  RTML_BOOL = 9,
  RTML_FLOAT16 = 10,
  RTML_DOUBLE = 11,
  RTML_UINT32 = 12,
  RTML_UINT64 = 13,
} rtml_dtype;

typedef struct rtml_string {
  const char* data;
  size_t size;
} rtml_string;

/* A tensor view: the caller's memory for inputs, the session's for outputs. For an output that is
 * a sequence of maps (ZipMap), `data` is the [N, C] value matrix and `map_keys` the C keys. */
typedef struct rtml_tensor {
  rtml_dtype dtype;
  int32_t rank;
  const int64_t* shape;
  const void* data;
  /* outputs only: */
  int32_t is_sequence_of_maps;
  rtml_dtype map_key_dtype;
  const void* map_keys;
  int64_t map_key_count;
} rtml_tensor;

typedef struct rtml_model rtml_model;
typedef struct rtml_session rtml_session;

/* The message of the calling thread's last failed call ("" if none). */
const char* rtml_last_error(void);
const char* rtml_version(void);

/* threads: 0 = automatic, 1 = the calling thread only. */
rtml_status rtml_model_load(const char* path, int threads, rtml_model** out);
rtml_status rtml_model_load_bytes(const void* data, size_t size, int threads, rtml_model** out);
void rtml_model_release(rtml_model* model);

size_t rtml_model_input_count(const rtml_model* model);
size_t rtml_model_output_count(const rtml_model* model);
const char* rtml_model_input_name(const rtml_model* model, size_t i);
const char* rtml_model_output_name(const rtml_model* model, size_t i);
rtml_dtype rtml_model_input_dtype(const rtml_model* model, size_t i);
/* Declared dims (-1 where dynamic); returns the rank, or -1 when unknown. Writes at most `cap`. */
int32_t rtml_model_input_shape(const rtml_model* model, size_t i, int64_t* dims, int32_t cap);

rtml_session* rtml_session_create(rtml_model* model);
void rtml_session_destroy(rtml_session* session);
/* Inputs by position (an input with a default may be given with dtype RTML_UNDEFINED). The
 * outputs point into the session's memory until its next run. */
rtml_status rtml_session_run(rtml_session* session, const rtml_tensor* inputs, size_t n_inputs, rtml_tensor* outputs,
                             size_t n_outputs);

#ifdef __cplusplus
}
#endif

#endif /* RTML_H_ */
