# Scratch cell, not graded: distribute_value on the lesson's example. Change anything and run it again.
a = distribute_value(2, (2, 2))
print("distribute_value(2, (2, 2)) =")
print(a)
