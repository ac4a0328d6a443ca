"""Gradient check of conv_backward on two small fixed layers (not graded)."""
import os

if os.environ.get("NBGRADER_EXECUTION"):
    print("Skipped while the notebook is graded: the gradient check scores nothing.")
else:
    conv_gradient_errors = {}
    epsilon = 1e-5
    layers = {  # the layer's name: (shape of A_prev, shape of W, hparameters)
        "f 3, stride 2, pad 1, m 2": ((2, 5, 5, 2), (3, 3, 2, 2), {"stride": 2, "pad": 1}),
        "f 2, stride 1, pad 0, m 1": ((1, 4, 5, 2), (2, 2, 2, 3), {"stride": 1, "pad": 0}),
    }
    for layer, (A_shape, W_shape, hparameters) in layers.items():
        print(f"Convolution layer {layer}: A_prev {A_shape}, W {W_shape}")
        errors = conv_gradient_errors[layer] = {}
        rng = np.random.default_rng(2024)
        A_prev = rng.standard_normal(A_shape)
        W = rng.standard_normal(W_shape)
        b = rng.standard_normal((1, 1, 1, W_shape[3]))
        try:
            Z, cache = conv_forward(A_prev, W, b, hparameters)
            dZ = rng.standard_normal(Z.shape)  # the cost is J = np.sum(Z * dZ), so dJ/dZ = dZ
            yours = dict(zip(("dA_prev", "dW", "db"), conv_backward(dZ, cache)))
            for name, x in (("dA_prev", A_prev), ("dW", W), ("db", b)):
                numerical = np.zeros(x.shape)
                for index in np.ndindex(*x.shape):  # nudge one entry down and up, run the forward pass
                    kept = x[index]
                    x[index] = kept + epsilon
                    J_plus = np.sum(conv_forward(A_prev, W, b, hparameters)[0] * dZ)
                    x[index] = kept - epsilon
                    J_minus = np.sum(conv_forward(A_prev, W, b, hparameters)[0] * dZ)
                    x[index] = kept
                    numerical[index] = (J_plus - J_minus) / (2 * epsilon)
                g = np.asarray(yours.get(name))
                if g.shape != numerical.shape:
                    errors[name] = float("inf")
                    print(f"  {name:8} has shape {g.shape}, expected {numerical.shape}")
                    continue
                norms = np.linalg.norm(g) + np.linalg.norm(numerical)
                errors[name] = float(np.linalg.norm(g - numerical) / max(1e-8, norms))
                verdict = "ok" if errors[name] < 1e-7 else "TOO LARGE: this gradient is wrong"
                print(f"  {name:8} relative error {errors[name]:.1e}  {verdict}")
        except Exception as error:  # an unfinished function, or one that fails on this layer
            errors["raised"] = float("inf")
            print(f"  stopped: {type(error).__name__}: {error}")
            print("  (conv_forward and conv_backward must pass their checks before this one can run)")
