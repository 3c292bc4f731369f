# Fixture generators need torch and are run by hand; the benchmark and demo import optional
# extras at run time. None of them holds doctests.
collect_ignore_glob = ["tests/fixtures/*.py", "benchmarks/*.py",
                       # model files written for `import torch`; tests/ports loads them under either namespace
                       "tests/ports/models/*.py"]
collect_ignore = ["lucid/bench.py", "lucid/demo.py", "lucid/__main__.py"]
