"""Your conv_forward_vectorized beside your loop conv_forward: the same Z? How much faster? (not graded)"""
import os
import time

grading = bool(os.environ.get("NBGRADER_EXECUTION"))
rng = np.random.default_rng(35)
layers = {  # the layer's name: (shape of A_prev, shape of W, hparameters)
    "f 3, stride 1, pad 1": ((2, 6, 7, 3), (3, 3, 3, 4), {"stride": 1, "pad": 1}),
    "f 2, stride 2, pad 0": ((3, 5, 8, 2), (2, 2, 2, 3), {"stride": 2, "pad": 0}),
    "f 3, stride 2, pad 2": ((1, 7, 5, 1), (3, 3, 1, 2), {"stride": 2, "pad": 2}),
}
vectorized_agrees = {}
try:
    for layer, (A_shape, W_shape, hparameters) in layers.items():
        A_prev = rng.standard_normal(A_shape)
        W = rng.standard_normal(W_shape)
        b = rng.standard_normal((1, 1, 1, W_shape[3]))
        Z_loops = np.asarray(conv_forward(A_prev, W, b, hparameters)[0])
        Z_fast, cache = conv_forward_vectorized(A_prev, W, b, hparameters)
        Z_fast = np.asarray(Z_fast)
        if Z_fast.shape != Z_loops.shape:
            verdict = f"DIFFERENT: shape {Z_fast.shape}, your loops give {Z_loops.shape}"
        else:
            largest = float(np.max(np.abs(Z_fast - Z_loops), initial=0))
            same = np.allclose(Z_fast, Z_loops, rtol=1e-9, atol=1e-9)
            verdict = f"{'the same' if same else 'DIFFERENT'} (largest difference {largest:.1e})"
            if same and np.shape(cache[0]) != A_shape:
                verdict += "; but the cache should keep the unpadded A_prev"
        vectorized_agrees[layer] = verdict.startswith("the same")
        print(f"{layer}: Z of shape {Z_loops.shape}, vectorised and loops {verdict}")
except Exception as error:  # not written yet, or an error in one of the two
    print(f"stopped: {type(error).__name__}: {error}")
    print("(write conv_forward_vectorized above; conv_forward must pass its check too)")
else:
    if not all(vectorized_agrees.values()):
        print("Where they differ, the one that fails its check is wrong: conv_forward's check tells you "
              "whether your loops are right.")
    elif grading:
        print("Skipped while the notebook is graded: the timing (this cell scores nothing).")
    else:
        A_prev = rng.standard_normal((2, 32, 32, 3))  # two 32 x 32 colour images, 8 filters of 3 x 3
        W = rng.standard_normal((3, 3, 3, 8))
        b = rng.standard_normal((1, 1, 1, 8))
        seconds = {}
        for name, function, runs in (("loops", conv_forward, 1), ("vectorised", conv_forward_vectorized, 5)):
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                function(A_prev, W, b, {"stride": 1, "pad": 1})
                times.append(time.perf_counter() - start)
            seconds[name] = min(times)  # the fastest run: the one least disturbed by other programs
        print(f"A layer of 2 x 32 x 32 x 3 with 8 filters of 3 x 3: loops {seconds['loops'] * 1000:.1f} ms, "
              f"vectorised {seconds['vectorised'] * 1000:.2f} ms, "
              f"{seconds['loops'] / max(seconds['vectorised'], 1e-9):.0f} times as fast")
