# Sourced by the MPI end-to-end scripts: their arguments (the attnpde binary and the source
# tree), a scratch folder removed on exit, and Open MPI allowed to run as root with more ranks
# than cores.
set -euo pipefail
attnpde=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
