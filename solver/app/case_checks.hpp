#pragma once
// Checks of a case beyond the types and ranges of single keys (solver/app/case.cpp calls
// them): derived quantities that must stay finite (eps = sigma^beta, c(beta, n), the layer
// time step), counts that must fit their caps (layers of a study, PDE steps, grid nodes),
// expressions evaluated at every point where the run will evaluate them, and the nesting
// depth of the TOML text. Each failure names the key through `fail_at`.

#include <functional>
#include <string>
#include <vector>

#include "solver/app/case.hpp"

namespace attnpde {

/// Throws the InputError of `key` with `message` (located at the key's value).
using FailAt = std::function<void(const std::string& key, const std::string& message)>;

/// Largest layer count of a run or a study point (as attention.layers).
inline constexpr double max_layers = 1e7;
/// Largest number of PDE steps of one run (a step count beyond this is a mistake).
inline constexpr double max_pde_steps = 1e9;
/// Deepest nesting of arrays and inline tables a case file may use.
inline constexpr int max_toml_depth = 32;

/// Which domains go with which scores and commands (docs/theory.md sections 5 and 9): the
/// whole space with the dot score (probe; run without a PDE) or token transport; the
/// sphere S^1 or S^2 with M = I for run and study, S^2 with a uniform density (its
/// reference is the exact harmonic semigroup). The dot score on the sphere with B = b I
/// becomes metric attention with beta = 2 and sigma = sqrt(2 eps / b) here, in `c`.
/// `sigma_given`: attention.sigma is in the file.
void check_domain(Case& c, bool sigma_given, const FailAt& fail_at);

/// The density is positive (L_gamma and w = p^gamma need log p) and smooth enough for the
/// quasi sampler (its Fourier tail on the torus; uniform in the box and on S^2).
void check_density(const Case& c, const FailAt& fail_at);

/// The sigma values a case will run with (attention.sigma and the study's).
std::vector<double> sigmas_used(const Case& c);

/// eps = sigma^beta, c(beta, n), tau c sigma^2 and t_K finite and positive; study layer
/// counts within max_layers; grid nodes within PETSc's 32-bit indices; PDE steps within
/// max_pde_steps (g_max: the largest eigenvalue of G over the grid).
void check_derived(const Case& c, double g_max, const FailAt& fail_at);

/// `attnpde learn`: torus or box (the dot baseline: torus), beta = 2, softmax, layers a
/// multiple of learn.snapshots.
void check_learn(const Case& c, const FailAt& fail_at);

/// density.expr (finite and > 0), initial.u0 and pde.drift (finite) at every grid node
/// and cell face of the PDE grid; no time variable t in them.
void check_expressions(const Case& c, const FailAt& fail_at);

/// Warnings about regimes where a run is valid but its numbers mean little (sigma below
/// the token spacing or comparable to the domain, beta far from 2 with few tokens, a
/// coordinate the dimension does not have).
std::vector<std::string> regime_warnings(const Case& c);

/// Throws InputError(file, line, col) when arrays or inline tables nest deeper than
/// max_toml_depth (checked on the text, before the recursive TOML parser sees it).
void check_nesting(const std::string& text, const std::string& file);

}  // namespace attnpde
