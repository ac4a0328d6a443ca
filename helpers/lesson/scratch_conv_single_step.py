# Scratch cell, not graded: conv_single_step on the seeded example of its check. Change anything and run it again.
np.random.seed(1)
a_slice_prev = np.random.randn(4, 4, 3)
W = np.random.randn(4, 4, 3)
b = np.random.randn(1, 1, 1)
Z = conv_single_step(a_slice_prev, W, b)
print("Z =", Z)
print("type(Z) =", type(Z))  # the docstring promises a Python float
