"""Raw array kernels: pure functions on arrays, no Tensor and no graph."""
