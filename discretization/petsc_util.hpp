#pragma once
// PETSc error checking that throws, and move-only owners that destroy PETSc objects on
// every path (STYLE.md: no raw handles escape).

#include <petscdmda.h>
#include <petscts.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace attnpde {

class PetscFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_petsc_failure(PetscErrorCode code, const char* expr, const char* file, int line);

/// Makes PETSc errors quiet: instead of PETSc's multi-line dump, the first message of an
/// error (e.g. "Unable to find requested KSP type foo") is recorded and becomes part of the
/// one-line PetscFailure. Call after PetscInitialize (attnpde does unless --verbose).
void quiet_petsc_errors();

#define ATTNPDE_PETSC(expr)                                                                      \
  do {                                                                                           \
    const PetscErrorCode attnpde_ierr_ = (expr);                                                 \
    if (attnpde_ierr_) ::attnpde::throw_petsc_failure(attnpde_ierr_, #expr, __FILE__, __LINE__); \
  } while (0)

template <class T, PetscErrorCode (*Destroy)(T*)>
class PetscOwner {
 public:
  PetscOwner() = default;
  explicit PetscOwner(T h) : h_(h) {}
  ~PetscOwner() { reset(); }
  PetscOwner(const PetscOwner&) = delete;
  PetscOwner& operator=(const PetscOwner&) = delete;
  PetscOwner(PetscOwner&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  PetscOwner& operator=(PetscOwner&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  void reset() {
    if (h_) Destroy(&h_);
    h_ = nullptr;
  }
  /// Address for PETSc "create" functions; destroys what was held.
  T* out() {
    reset();
    return &h_;
  }
  T get() const { return h_; }
  operator T() const { return h_; }

 private:
  T h_ = nullptr;
};

using VecOwner = PetscOwner<Vec, VecDestroy>;
using MatOwner = PetscOwner<Mat, MatDestroy>;
using DMOwner = PetscOwner<DM, DMDestroy>;
using TSOwner = PetscOwner<TS, TSDestroy>;
using ScatterOwner = PetscOwner<VecScatter, VecScatterDestroy>;

/// Every entry of a distributed vector, in its global order, on every rank. Collective.
std::vector<double> gather_to_all(Vec v);

}  // namespace attnpde
