"""Your conv_forward, a ReLU and your pool_forward on a photograph (not graded)."""
import os

if os.environ.get("NBGRADER_EXECUTION"):
    print("Skipped while the notebook is graded: this cell scores nothing.")
else:
    photo = np.load(os.path.join("data", "photo.npy")) / 255  # 64 x 64 grey values, 0 (black) to 1 (white)
    A_prev = photo.reshape(1, 64, 64, 1)  # a batch of one image with one channel
    filters = {  # three hand-made 3 x 3 filters, one output channel each
        "vertical edges": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
        "horizontal edges": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]),
        "blur": np.full((3, 3), 1 / 9),
    }
    W = np.stack(list(filters.values()), axis=-1).reshape(3, 3, 1, 3).astype(float)
    b = np.zeros((1, 1, 1, 3))
    try:
        Z, _ = conv_forward(A_prev, W, b, {"stride": 1, "pad": 1})
        A = np.maximum(Z, 0)  # ReLU
        P, _ = pool_forward(A, {"f": 2, "stride": 2}, "max")
    except Exception as error:  # an unfinished function
        print(f"stopped: {type(error).__name__}: {error}")
        print("(conv_forward and pool_forward must pass their checks before this cell can run)")
    else:
        print(f"photo {A_prev.shape} -> conv_forward {Z.shape} -> ReLU -> pool_forward {P.shape}")
        for c, name in enumerate(filters):
            print(f"  {name:16}  mean {P[0, :, :, c].mean():.3f}  largest {P[0, :, :, c].max():.3f}"
                  f"  zeros after the ReLU {np.mean(A[0, :, :, c] == 0):.0%}")
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            print("(matplotlib is not installed: these numbers stand in for the pictures)")
        else:
            fig, axes = plt.subplots(1, 4, figsize=(12, 3.6))
            axes[0].imshow(photo, cmap="gray", vmin=0, vmax=1)
            axes[0].set_title("the input, 64 × 64")
            for c, name in enumerate(filters):
                axes[c + 1].imshow(P[0, :, :, c], cmap="gray")
                axes[c + 1].set_title(f"{name}, 32 × 32")
            for ax in axes:
                ax.set_axis_off()
            fig.text(0.5, 0.03, "Each map: your conv_forward with one filter, a ReLU, then your max pooling "
                     "(f 2, stride 2). Bright: a strong response.", ha="center")
            plt.show()
