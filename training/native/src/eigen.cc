#include "eigen.h"

#include <cstddef>
#include <vector>

// OpenBLAS ships LAPACK's Fortran symbols (not LAPACKE), so declare the one routine used here,
// including the hidden lengths gfortran passes for character arguments.
extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info,
                        size_t jobz_length, size_t uplo_length);

namespace stemdex {

int64_t symmetric_eigenvalues(double* values, int64_t n, double* eigenvalues) {
  if (n == 0) return 0;
  const char jobz = 'N';
  // Row-major lower triangle == column-major upper triangle.
  const char uplo = 'U';
  const int size = static_cast<int>(n);
  int info = 0;
  int query = -1;
  double work_size = 0;
  int iwork_size = 0;
  dsyevd_(&jobz, &uplo, &size, values, &size, eigenvalues, &work_size, &query, &iwork_size, &query, &info, 1, 1);
  if (info != 0) return info;
  const int lwork = static_cast<int>(work_size);
  const int liwork = iwork_size;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  dsyevd_(&jobz, &uplo, &size, values, &size, eigenvalues, work.data(), &lwork, iwork.data(), &liwork, &info, 1,
          1);
  return info;
}

}  // namespace stemdex
