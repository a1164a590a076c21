# Built by src/native/build.js (npm's postinstall), optional: without it CRC64 runs on crc64-ecma182.
{
  "targets": [
    {
      "target_name": "lzma_crc64",
      "sources": ["lzma_crc64.c"],
      "cflags": ["-O2"],
      "conditions": [["OS=='linux'", { "libraries": ["-ldl"] }]]
    }
  ]
}
