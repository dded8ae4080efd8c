// Node-API surface of the native training kernels. Every entry point validates its arguments
// (types, op codes, and that every offset it will touch lies inside the given arrays) before
// handing raw pointers to the kernels, so a wrong call from JavaScript throws instead of
// corrupting memory. Outputs are caller-allocated Float32Arrays: no copies cross the boundary.
#include <cblas.h>
#include <napi.h>

#include <algorithm>
#include <string>

#include "eigen.h"
#include "elementwise.h"
#include "gemm.h"
#include "parallel.h"
#include "reduce.h"
#include "softmax.h"
#include "transpose.h"

namespace {

using stemdex::kMaxRank;

class ArgumentError {
 public:
  explicit ArgumentError(std::string message) : message(std::move(message)) {}
  std::string message;
};

// Small typed accessors that throw ArgumentError (converted to a JS TypeError at the boundary).
struct Args {
  const Napi::CallbackInfo& info;

  Napi::Float32Array floats(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsTypedArray() ||
        info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw ArgumentError(std::string(name) + " must be a Float32Array");
    }
    return info[i].As<Napi::Float32Array>();
  }

  Napi::Int32Array ints(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsTypedArray() ||
        info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      throw ArgumentError(std::string(name) + " must be an Int32Array");
    }
    return info[i].As<Napi::Int32Array>();
  }

  int64_t integer(size_t i, const char* name, int64_t min = 0) const {
    if (i >= info.Length() || !info[i].IsNumber()) throw ArgumentError(std::string(name) + " must be a number");
    const double value = info[i].As<Napi::Number>().DoubleValue();
    if (value != static_cast<double>(static_cast<int64_t>(value)) || value < static_cast<double>(min)) {
      throw ArgumentError(std::string(name) + " must be an integer >= " + std::to_string(min));
    }
    return static_cast<int64_t>(value);
  }

  double number(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsNumber()) throw ArgumentError(std::string(name) + " must be a number");
    return info[i].As<Napi::Number>().DoubleValue();
  }

  bool boolean(size_t i, const char* name) const {
    if (i >= info.Length() || !info[i].IsBoolean()) throw ArgumentError(std::string(name) + " must be a boolean");
    return info[i].As<Napi::Boolean>().Value();
  }
};

void require_length(const Napi::Float32Array& array, int64_t needed, const char* name) {
  if (static_cast<int64_t>(array.ElementLength()) < needed) {
    throw ArgumentError(std::string(name) + " is too short: needs " + std::to_string(needed) + " elements, has " +
                        std::to_string(array.ElementLength()));
  }
}

void require_op(int64_t op, int32_t count, const char* kind) {
  if (op >= count) throw ArgumentError(std::string("unknown ") + kind + " op " + std::to_string(op));
}

// Extent (largest reachable offset + 1) of a strided view, 0 for an empty one.
int64_t extent(int rank, const int64_t* shape, const int64_t* stride) {
  int64_t last = 0;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] == 0) return 0;
    last += (shape[d] - 1) * stride[d];
  }
  return last + 1;
}

int read_shape(const Napi::Int32Array& values, int64_t* into, const char* name) {
  const size_t rank = values.ElementLength();
  if (rank == 0 || rank > static_cast<size_t>(kMaxRank)) {
    throw ArgumentError(std::string(name) + " must have 1.." + std::to_string(kMaxRank) + " entries");
  }
  const int32_t* entries = values.Data();
  for (size_t d = 0; d < rank; ++d) {
    if (entries[d] < 0) {
      throw ArgumentError(std::string(name) + " entries must be >= 0");
    }
    into[d] = entries[d];
  }
  return static_cast<int>(rank);
}

template <class Body>
Napi::Value guarded(const Napi::CallbackInfo& info, Body body) {
  try {
    body(Args{info});
  } catch (const ArgumentError& error) {
    Napi::TypeError::New(info.Env(), "stemdex_native: " + error.message).ThrowAsJavaScriptException();
  }
  return info.Env().Undefined();
}

// matmul(a, b, out, batch, m, n, k, transposeA, transposeB, aIndex, bIndex)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    auto a = args.floats(0, "a");
    auto b = args.floats(1, "b");
    auto out = args.floats(2, "out");
    stemdex::GemmShape shape{args.integer(3, "batch"), args.integer(4, "m"), args.integer(5, "n"),
                             args.integer(6, "k"),     args.boolean(7, "transposeA"), args.boolean(8, "transposeB")};
    auto a_index = args.ints(9, "aIndex");
    auto b_index = args.ints(10, "bIndex");
    if (static_cast<int64_t>(a_index.ElementLength()) != shape.batch ||
        static_cast<int64_t>(b_index.ElementLength()) != shape.batch) {
      throw ArgumentError("aIndex and bIndex must have one entry per batch element");
    }
    const int32_t* a_batch = a_index.Data();
    const int32_t* b_batch = b_index.Data();
    int64_t a_matrices = 0, b_matrices = 0;
    for (int64_t i = 0; i < shape.batch; ++i) {
      if (a_batch[i] < 0 || b_batch[i] < 0) throw ArgumentError("batch indices must be >= 0");
      a_matrices = std::max<int64_t>(a_matrices, a_batch[i] + 1);
      b_matrices = std::max<int64_t>(b_matrices, b_batch[i] + 1);
    }
    require_length(a, a_matrices * shape.m * shape.k, "a");
    require_length(b, b_matrices * shape.k * shape.n, "b");
    require_length(out, shape.batch * shape.m * shape.n, "out");
    stemdex::batched_matmul(a.Data(), b.Data(), out.Data(), shape, a_batch, b_batch);
  });
}

// binary(op, a, b, out, shape, stridesA, stridesB)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    const int64_t op = args.integer(0, "op");
    require_op(op, stemdex::kBinaryOpCount, "binary");
    auto a = args.floats(1, "a");
    auto b = args.floats(2, "b");
    auto out = args.floats(3, "out");
    stemdex::BroadcastLayout layout{};
    layout.rank = read_shape(args.ints(4, "shape"), layout.shape, "shape");
    if (read_shape(args.ints(5, "stridesA"), layout.stride_a, "stridesA") != layout.rank ||
        read_shape(args.ints(6, "stridesB"), layout.stride_b, "stridesB") != layout.rank) {
      throw ArgumentError("shape, stridesA and stridesB must have the same rank");
    }
    int64_t total = 1;
    for (int d = 0; d < layout.rank; ++d) total *= layout.shape[d];
    if (total == 0) return;
    require_length(a, extent(layout.rank, layout.shape, layout.stride_a), "a");
    require_length(b, extent(layout.rank, layout.shape, layout.stride_b), "b");
    require_length(out, total, "out");
    stemdex::binary(static_cast<stemdex::BinaryOp>(op), a.Data(), b.Data(), out.Data(), layout);
  });
}

// unary(op, x, out, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    const int64_t op = args.integer(0, "op");
    require_op(op, stemdex::kUnaryOpCount, "unary");
    auto x = args.floats(1, "x");
    auto out = args.floats(2, "out");
    const float alpha = static_cast<float>(args.number(3, "alpha"));
    const int64_t size = static_cast<int64_t>(x.ElementLength());
    require_length(out, size, "out");
    stemdex::unary(static_cast<stemdex::UnaryOp>(op), x.Data(), out.Data(), size, alpha);
  });
}

// reduce(op, x, out, outer, reduced, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    const int64_t op = args.integer(0, "op");
    require_op(op, stemdex::kReduceOpCount, "reduce");
    auto x = args.floats(1, "x");
    auto out = args.floats(2, "out");
    const int64_t outer = args.integer(3, "outer");
    const int64_t reduced = args.integer(4, "reduced");
    const int64_t inner = args.integer(5, "inner");
    require_length(x, outer * reduced * inner, "x");
    require_length(out, outer * inner, "out");
    stemdex::reduce(static_cast<stemdex::ReduceOp>(op), x.Data(), out.Data(), outer, reduced, inner);
  });
}

// transpose(x, out, shape, sourceStrides)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    auto x = args.floats(0, "x");
    auto out = args.floats(1, "out");
    int64_t shape[kMaxRank];
    int64_t stride[kMaxRank];
    const int rank = read_shape(args.ints(2, "shape"), shape, "shape");
    if (read_shape(args.ints(3, "sourceStrides"), stride, "sourceStrides") != rank) {
      throw ArgumentError("shape and sourceStrides must have the same rank");
    }
    int64_t total = 1;
    for (int d = 0; d < rank; ++d) total *= shape[d];
    if (total == 0) return;
    require_length(x, extent(rank, shape, stride), "x");
    require_length(out, total, "out");
    stemdex::transpose(x.Data(), out.Data(), rank, shape, stride);
  });
}

// copy(x, out, shape, sourceStrides, destStrides)
Napi::Value Copy(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    auto x = args.floats(0, "x");
    auto out = args.floats(1, "out");
    int64_t shape[kMaxRank];
    int64_t source[kMaxRank];
    int64_t dest[kMaxRank];
    const int rank = read_shape(args.ints(2, "shape"), shape, "shape");
    if (read_shape(args.ints(3, "sourceStrides"), source, "sourceStrides") != rank ||
        read_shape(args.ints(4, "destStrides"), dest, "destStrides") != rank) {
      throw ArgumentError("shape, sourceStrides and destStrides must have the same rank");
    }
    if (extent(rank, shape, source) == 0) return;
    require_length(x, extent(rank, shape, source), "x");
    require_length(out, extent(rank, shape, dest), "out");
    stemdex::strided_copy(x.Data(), out.Data(), rank, shape, source, dest);
  });
}

// softmax(x, out, rows, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    auto x = args.floats(0, "x");
    auto out = args.floats(1, "out");
    const int64_t rows = args.integer(2, "rows");
    const int64_t cols = args.integer(3, "cols");
    require_length(x, rows * cols, "x");
    require_length(out, rows * cols, "out");
    stemdex::softmax(x.Data(), out.Data(), rows, cols);
  });
}

// symmetricEigenvalues(matrix: Float64Array (n*n, overwritten), n, out: Float64Array (n))
Napi::Value SymmetricEigenvalues(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    if (args.info.Length() < 3 || !args.info[0].IsTypedArray() || !args.info[2].IsTypedArray() ||
        args.info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        args.info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      throw ArgumentError("matrix and out must be Float64Arrays");
    }
    auto matrix = args.info[0].As<Napi::Float64Array>();
    auto out = args.info[2].As<Napi::Float64Array>();
    const int64_t n = args.integer(1, "n");
    if (n > 46340 || static_cast<int64_t>(matrix.ElementLength()) < n * n ||
        static_cast<int64_t>(out.ElementLength()) < n) {
      throw ArgumentError("matrix must hold n*n and out n elements");
    }
    const int64_t status = stemdex::symmetric_eigenvalues(matrix.Data(), n, out.Data());
    if (status != 0) throw ArgumentError("LAPACK dsyevd failed with info " + std::to_string(status));
  });
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return guarded(info, [](const Args& args) {
    const int64_t threads = args.integer(0, "threads", 1);
    if (threads > 256) throw ArgumentError("threads must be <= 256");
    stemdex::set_num_threads(static_cast<int>(threads));
  });
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), stemdex::num_threads());
}

Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("config", std::string(openblas_get_config()));
  result.Set("core", std::string(openblas_get_corename()));
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // The addon's own pool parallelises GEMMs; OpenBLAS threads would only compete with it.
  openblas_set_num_threads(1);
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("copy", Napi::Function::New(env, Copy));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("symmetricEigenvalues", Napi::Function::New(env, SymmetricEigenvalues));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads));
  exports.Set("blasInfo", Napi::Function::New(env, BlasInfo));
  return exports;
}

}  // namespace

NODE_API_MODULE(stemdex_native, Init)
