#include "discretization/petsc_util.hpp"

namespace attnpde {

void throw_petsc_failure(PetscErrorCode code, const char* expr, const char* file, int line) {
  const char* text = nullptr;
  PetscErrorMessage(code, &text, nullptr);
  throw PetscFailure(std::string("PETSc error ") + std::to_string(static_cast<int>(code)) + " (" +
                     (text ? text : "unknown") + ") in " + expr + " at " + file + ":" + std::to_string(line));
}

}  // namespace attnpde
