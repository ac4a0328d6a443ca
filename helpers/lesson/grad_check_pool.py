"""Gradient check of pool_backward, both modes, on two small fixed layers (not graded)."""
import os

if os.environ.get("NBGRADER_EXECUTION"):
    print("Skipped while the notebook is graded: the gradient check scores nothing.")
else:
    pool_gradient_errors = {}
    epsilon = 1e-5
    layers = {  # the layer's name: (shape of A_prev, hparameters)
        "f 3, stride 2, m 2 (overlapping windows)": ((2, 5, 5, 2), {"f": 3, "stride": 2}),
        "f 2, stride 1, m 1 (overlapping windows)": ((1, 4, 5, 1), {"f": 2, "stride": 1}),
    }
    for layer, (A_shape, hparameters) in layers.items():
        for mode in ("max", "average"):
            print(f"Pooling layer {layer}, {mode}: A_prev {A_shape}")
            rng = np.random.default_rng(2025)
            # distinct values 0.1 apart: every window has one clear maximum, far more than epsilon away
            A_prev = (rng.permutation(np.prod(A_shape)).reshape(A_shape) - np.prod(A_shape) / 2) / 10
            try:
                A, cache = pool_forward(A_prev, hparameters, mode)
                dA = rng.standard_normal(A.shape)  # the cost is J = np.sum(A * dA), so dJ/dA = dA
                g = np.asarray(pool_backward(dA, cache, mode))
                numerical = np.zeros(A_prev.shape)
                for index in np.ndindex(*A_prev.shape):  # nudge one entry down and up, run the forward pass
                    kept = A_prev[index]
                    A_prev[index] = kept + epsilon
                    J_plus = np.sum(pool_forward(A_prev, hparameters, mode)[0] * dA)
                    A_prev[index] = kept - epsilon
                    J_minus = np.sum(pool_forward(A_prev, hparameters, mode)[0] * dA)
                    A_prev[index] = kept
                    numerical[index] = (J_plus - J_minus) / (2 * epsilon)
                if g.shape != numerical.shape:
                    error = float("inf")
                    print(f"  dA_prev has shape {g.shape}, expected {numerical.shape}")
                else:
                    norms = np.linalg.norm(g) + np.linalg.norm(numerical)
                    error = float(np.linalg.norm(g - numerical) / max(1e-8, norms))
                    verdict = "ok" if error < 1e-7 else "TOO LARGE: this gradient is wrong"
                    print(f"  dA_prev relative error {error:.1e}  {verdict}")
            except Exception as exception:  # an unfinished function, or one that fails on this layer
                error = float("inf")
                print(f"  stopped: {type(exception).__name__}: {exception}")
                print("  (pool_forward and pool_backward must pass their checks before this one can run)")
            pool_gradient_errors[layer, mode] = error
