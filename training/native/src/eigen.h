#pragma once
#include <cstdint>

namespace stemdex {

// Eigenvalues (ascending) of the symmetric n x n matrix `values` (row-major, double; only its
// lower triangle is read) via LAPACK dsyevd. `values` is overwritten. Returns LAPACK's info
// (0 = success).
int64_t symmetric_eigenvalues(double* values, int64_t n, double* eigenvalues);

}  // namespace stemdex
