# The model files are PyTorch-style sources that the tests load themselves (with torch, or with
# lucid after rewriting their imports); pytest's doctest collection must not import them as modules.
collect_ignore_glob = ["models/*.py"]
