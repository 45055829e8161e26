// GoogleTest main with PETSc (and MPI) initialized around the tests.
#include <gtest/gtest.h>
#include <petscsys.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int petsc_argc = 1;
  if (PetscInitialize(&petsc_argc, &argv, nullptr, nullptr) != 0) return 1;
  const int rc = RUN_ALL_TESTS();
  PetscFinalize();
  return rc;
}
