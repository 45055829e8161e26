#!/usr/bin/python3
"""FMA-pipe instructions of the dense kernel's inner loop, read from the compiled object.

usage: /usr/bin/python3 bench/loop_count.py [OBJECT]
       /usr/bin/python3 bench/loop_count.py --check [OBJECT]
  (default build/CMakeFiles/attnpde_attention.dir/attention/kernel_dense.cpp.o)

--check: exit 1 unless every instantiation of the kernel that must vectorize (the Gaussian
score in 1D, 2D and 3D, in both precisions, weighted or not, torus or box: 24; the Laplace
score, beta = 1, the same in float64: 12) has vector FMAs in its threaded body, i.e. its
loop over the keys runs on vectors. A change that makes GCC give up on one of them (it did
for 3D, where the loops over the dimensions were not unrolled, and for several float64
Laplace kernels until the exp was forced inline) runs that kernel several times slower (5x
for Sinkhorn's weighted 2D kernel) without changing a single result. A body that loads the
keys with gathers (vgather*) fails too: GCC did that when the loop read the key pointers
through a reference, and the Laplace layer ran 1.5x slower. Needs a native build
(-march=native: AVX2 or AVX-512 FMAs). The other scores call std::pow and stay scalar.

Disassembles (objdump) the 2D Gaussian, periodic, unweighted instantiations of the dense kernel
(float64 and float32), takes the loop over the keys j (of the innermost loops with vector FMAs
and no lane shuffles, the one with the most FMAs), and counts its instructions that need an FMA/multiply pipe (vfmadd*, vfmsub*, vfnmadd*,
vfnmsub*, vmulp*). One iteration handles one vector of keys (8 float64 or 16 float32 lanes in
zmm, half that in ymm) for each of the dense_query_rows query rows (attention/kernel_dense.hpp),
so the kernel cannot beat peak_fma_rate x pairs / count pairs per second: the roofline
bench/run.sh divides by. Prints "precision count pairs register", pairs per iteration.
"""
import collections
import re
import subprocess
import sys

FMA = re.compile(r"^v(f(n)?m(add|sub)\d+[ps][sd]|mulp[sd])$")
SHUFFLE = re.compile(r"^v(shuf|extract|perm|unpck|hadd|insert)")


def inner_loop(lines, name):
    start = next(i for i, l in enumerate(lines) if l.endswith(">:") and name in l and "_omp_fn" in l)
    ins = []
    for l in lines[start + 1:]:
        if not l.strip():
            break
        m = re.match(r"\s*([0-9a-f]+):\s*(\S+)\s*(.*)", l)
        if m:
            ins.append((int(m.group(1), 16), m.group(2), m.group(3)))
    loops = []
    for addr, op, args in ins:
        t = re.match(r"([0-9a-f]+)\s", args + " ")
        if op.startswith("j") and t and int(t.group(1), 16) < addr:
            body = [x for x in ins if int(t.group(1), 16) <= x[0] <= addr]
            # The loop over the keys has vector FMAs and no lane shuffles (those sum the lanes
            # after it).
            if any(FMA.match(o) and ("zmm" in g or "ymm" in g) for _, o, g in body) and not any(
                    SHUFFLE.match(o) or o.startswith("call") for _, o, _ in body):
                loops.append(body)
    # The innermost loops: those whose address range holds no other loop. A loop that GCC lays
    # out with a branch inside (the software-pipelined kernel skips the next logits on its
    # last pass) also closes a shorter backward jump over part of its body, which runs once;
    # of the innermost ranges the one with the most vector FMAs is the loop over the keys.
    def inside(a, b):
        return a is not b and b[0][0] <= a[0][0] and a[-1][0] <= b[-1][0]

    innermost = [b for b in loops if not any(inside(a, b) for a in loops)]
    return max(innermost, key=lambda b: sum(1 for _, o, g in b if FMA.match(o) and ("zmm" in g or "ymm" in g)))


SHAPES = {"0": "Gaussian", "1": "Laplace"}
MUST_VECTORIZE = 36  # Gaussian: 3 dimensions x 2 precisions x weighted or not x torus or box; Laplace: float64


def unvectorized(lines):
    """The Gaussian instantiations and the float64 Laplace ones whose threaded body has no vector FMA
    or loads the keys with gathers (vectorized, but slower than loads of consecutive keys)."""
    bodies, gathers, name = {}, set(), None
    for l in lines:
        if l.endswith(">:"):
            m = re.search(r"accumulate_kernel<(\d), \(attnpde::\(anonymous namespace\)::Shape\)([01]), (\w+), (\w+), "
                          r"(\w+)>.*_omp_fn", l)
            name = m.groups() if m else None
            if name and name[1] == "1" and name[4] == "float":
                name = None  # float32 needs beta = 2: never called
            if name:
                bodies.setdefault(name, 0)
        elif name:
            m = re.match(r"\s*[0-9a-f]+:\s*(\S+)\s*(.*)", l)
            if m and FMA.match(m.group(1)) and ("zmm" in m.group(2) or "ymm" in m.group(2)):
                bodies[name] += 1
            if m and m.group(1).startswith("vgather"):
                gathers.add(name)
    return len(bodies), sorted(k for k, v in bodies.items() if v == 0 or k in gathers)


def query_rows():
    """dense_query_rows from attention/kernel_dense.hpp."""
    import pathlib
    header = pathlib.Path(__file__).resolve().parent.parent / "attention" / "kernel_dense.hpp"
    return int(re.search(r"dense_query_rows = (\d+);", header.read_text()).group(1))


def main(argv):
    check = len(argv) > 1 and argv[1] == "--check"
    args = argv[2:] if check else argv[1:]
    obj = args[0] if args else "build/CMakeFiles/attnpde_attention.dir/attention/kernel_dense.cpp.o"
    text = subprocess.run(["objdump", "-dC", "--no-show-raw-insn", obj], check=True, capture_output=True,
                          text=True).stdout.split("\n")
    if check:
        total, scalar = unvectorized(text)
        for dim, shape, weighted, periodic, real in scalar:
            print(f"not vectorized (or keys gathered): {dim}D {SHAPES[shape]}, {real}, weighted={weighted}, "
                  f"periodic={periodic}")
        print(f"{total - len(scalar)} of {total} Gaussian and Laplace kernels vectorized")
        return 0 if total == MUST_VECTORIZE and not scalar else 1
    rows = query_rows()
    for real, lanes512 in (("double", 8), ("float", 16)):
        name = f"accumulate_kernel<2, (attnpde::(anonymous namespace)::Shape)0, false, true, {real}>"
        body = inner_loop(text, name)
        count = sum(1 for _, o, _ in body if FMA.match(o))
        zmm = any("zmm" in g for _, _, g in body)
        ops = collections.Counter(o for _, o, _ in body)
        print(f"{'float64' if real == 'double' else 'float32'} {count} {rows * (lanes512 if zmm else lanes512 // 2)} "
              f"{'zmm' if zmm else 'ymm'}  # {len(body)} instructions: "
              + ", ".join(f"{k} {o}" for o, k in ops.most_common(8)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
