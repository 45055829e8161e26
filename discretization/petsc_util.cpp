#include "discretization/petsc_util.hpp"

namespace attnpde {

namespace {
// The first (most specific) message of the PETSc error being raised.
std::string& first_message() {
  static std::string m;
  return m;
}

PetscErrorCode record_error(MPI_Comm, int, const char*, const char*, PetscErrorCode n, PetscErrorType p,
                            const char* mess, void*) {
  if (p == PETSC_ERROR_INITIAL) first_message() = mess ? mess : "";
  return n;
}
}  // namespace

void quiet_petsc_errors() {
  PetscPushErrorHandler(record_error, nullptr);
}

void throw_petsc_failure(PetscErrorCode code, const char* expr, const char* file, int line) {
  const char* text = nullptr;
  PetscErrorMessage(code, &text, nullptr);
  std::string detail = first_message();
  first_message().clear();
  for (char& ch : detail)
    if (ch == '\n') ch = ' ';
  throw PetscFailure(std::string("PETSc error ") + std::to_string(static_cast<int>(code)) + " (" +
                     (text ? text : "unknown") + (detail.empty() ? "" : ": " + detail) + ") in " + expr + " at " +
                     file + ":" + std::to_string(line));
}

std::vector<double> gather_to_all(Vec v) {
  ScatterOwner scatter;
  VecOwner all;
  ATTNPDE_PETSC(VecScatterCreateToAll(v, scatter.out(), all.out()));
  ATTNPDE_PETSC(VecScatterBegin(scatter, v, all, INSERT_VALUES, SCATTER_FORWARD));
  ATTNPDE_PETSC(VecScatterEnd(scatter, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt n = 0;
  ATTNPDE_PETSC(VecGetLocalSize(all, &n));
  const PetscScalar* a = nullptr;
  ATTNPDE_PETSC(VecGetArrayRead(all, &a));
  std::vector<double> out(a, a + n);
  ATTNPDE_PETSC(VecRestoreArrayRead(all, &a));
  return out;
}

}  // namespace attnpde
