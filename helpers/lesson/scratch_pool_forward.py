# Scratch cell, not graded: pool_forward on the seeded example of its checks. Change anything and run it again.
np.random.seed(1)
A_prev = np.random.randn(2, 4, 4, 3)
hparameters = {"f": 3, "stride": 2}
for mode in ("max", "average"):
    A, cache = pool_forward(A_prev, hparameters, mode)
    print("mode =", mode)
    print("A =")
    print(A)
