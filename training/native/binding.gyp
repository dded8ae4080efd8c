# Native training kernels for the TensorFlow.js CPU backend (see training/backend/).
# The addon is always compiled on the machine that runs it (npm run build:native, scripts/setup.sh),
# so -march=native is safe here and lets GCC use the host's AVX2/AVX-512 for the non-BLAS kernels.
{
  "targets": [
    {
      "target_name": "stemdex_native",
      "sources": [
        "src/addon.cc",
        "src/gemm.cc",
        "src/elementwise.cc",
        "src/reduce.cc",
        "src/transpose.cc",
        "src/softmax.cc",
        "src/parallel.cc",
        "src/eigen.cc"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "<!@(pkg-config --variable=includedir openblas)"
      ],
      "cflags_cc": [
        "<!@(pkg-config --cflags openblas)"
      ],
      "libraries": [
        "<!@(pkg-config --libs openblas)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc+": ["-O3", "-march=native", "-fno-math-errno", "-fopenmp-simd", "-std=c++17", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
