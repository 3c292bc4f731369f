# Fixture generators need torch and are run by hand; the benchmarks and demo import optional
# extras at run time. None of them holds doctests.
collect_ignore_glob = ["tests/fixtures/*.py", "benchmarks/*.py",
                       # model files written for `import torch`; tests/ports loads them under either namespace
                       "tests/ports/models/*.py"]
collect_ignore = ["lucid/demo.py", "lucid/__main__.py"]

try:  # the compiled loops are an optional extra: without numba their module cannot be imported
    import numba  # noqa: F401
except Exception:
    collect_ignore.append("lucid/kernels/_numba.py")
