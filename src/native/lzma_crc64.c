/*
 * A Node-API binding to one function of liblzma (xz-utils): lzma_crc64, the CRC-64/XZ that COS
 * sends as x-cos-hash-crc64ecma. liblzma computes it with carry-less multiplication where the CPU
 * has it, several times the table-driven speed of crc64-ecma182.
 *
 * liblzma is opened at load time (dlopen) rather than linked: building needs no liblzma headers,
 * and where the library is missing the require() fails and the uploader uses another engine.
 * Node-API keeps the binary loadable by any Node or Electron version, in every worker thread.
 */
#include <dlfcn.h>
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t (*lzma_crc64_fn)(const uint8_t *buf, size_t size, uint64_t crc);

static lzma_crc64_fn find_lzma_crc64(void) {
  static const char *const names[] = {"liblzma.so.5", "liblzma.5.dylib", "liblzma.so", "liblzma.dylib"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    void *library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) continue;
    lzma_crc64_fn fn = (lzma_crc64_fn)dlsym(library, "lzma_crc64");
    if (fn != NULL) return fn;
    dlclose(library);
  }
  return NULL;
}

/* update(crc: bigint, data: Uint8Array): bigint, continuing a finished CRC over more data. */
static napi_value update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *fn_data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &fn_data) != napi_ok) return NULL;
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "update(crc: bigint, data: Uint8Array) takes two arguments");
    return NULL;
  }
  uint64_t crc = 0;
  bool lossless = false;
  if (napi_get_value_bigint_uint64(env, argv[0], &crc, &lossless) != napi_ok || !lossless) {
    napi_throw_type_error(env, NULL, "crc must be a bigint from 0 to 2^64-1");
    return NULL;
  }
  bool is_typed_array = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, argv[1], &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "data must be a Uint8Array");
    return NULL;
  }
  uint64_t result = length == 0 ? crc : ((lzma_crc64_fn)fn_data)((const uint8_t *)data, length, crc);
  napi_value value;
  if (napi_create_bigint_uint64(env, result, &value) != napi_ok) return NULL;
  return value;
}

NAPI_MODULE_INIT() {
  lzma_crc64_fn fn = find_lzma_crc64();
  if (fn == NULL) {
    napi_throw_error(env, NULL, "liblzma (lzma_crc64) was not found on this system");
    return NULL;
  }
  napi_value function;
  if (napi_create_function(env, "update", NAPI_AUTO_LENGTH, update, (void *)fn, &function) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "update", function) != napi_ok) return NULL;
  return exports;
}
