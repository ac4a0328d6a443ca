"""Shapes and parameters of one convolution layer, worked out by your conv_forward (not graded)."""
import os

if os.environ.get("NBGRADER_EXECUTION"):
    print("Skipped while the notebook is graded: this cell scores nothing.")
else:
    A_prev = np.zeros((1, 32, 32, 3))  # one 32 x 32 colour image
    W = np.zeros((5, 5, 3, 10))  # 10 filters of 5 x 5, each as deep as the input
    b = np.zeros((1, 1, 1, 10))  # one bias per filter
    try:
        Z, _ = conv_forward(A_prev, W, b, {"stride": 1, "pad": 2})
    except Exception as error:  # an unfinished function
        print(f"stopped: {type(error).__name__}: {error}")
        print("(conv_forward must pass its check before this cell can run)")
    else:
        print(f"Z has shape {Z.shape}")
        print(f"parameters: {W.size} weights + {b.size} biases = {W.size + b.size}")
