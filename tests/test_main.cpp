// GoogleTest main with PETSc, SLEPc (and MPI) initialized around the tests.
#include <gtest/gtest.h>
#include <slepcsys.h>

// Under AddressSanitizer (ATTNPDE_SANITIZE): MPI and OpenMP keep buffers until exit that
// LeakSanitizer would report; the memory-error checks stay on. Unused in other builds.
extern "C" const char* __asan_default_options() {
  return "detect_leaks=0";
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int petsc_argc = 1;
  if (SlepcInitialize(&petsc_argc, &argv, nullptr, nullptr) != 0) return 1;
  const int rc = RUN_ALL_TESTS();
  SlepcFinalize();
  return rc;
}
