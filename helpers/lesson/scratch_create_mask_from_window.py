# Scratch cell, not graded: create_mask_from_window on the seeded example of its check. Change anything and run it again.
np.random.seed(1)
x = np.random.randn(2, 3)
mask = create_mask_from_window(x)
print("x =")
print(x)
print("mask =")
print(mask)
