# Scratch cell, not graded: pool_backward on the seeded example of its check. Change anything and run it again.
np.random.seed(1)
A_prev = np.random.randn(5, 5, 3, 2)
dA = np.random.randn(5, 4, 2, 2)
hparameters = {"stride": 1, "f": 2}
print("mean of dA =", np.mean(dA))
for mode in ("max", "average"):
    dA_prev = pool_backward(dA, (A_prev, hparameters), mode)
    print("mode =", mode)
    print("dA_prev[1, 1] =")
    print(dA_prev[1, 1])
